/**
 * A tunnel whose stop the engine did not answer: the engine is ended with the tunnel's connections,
 * and the log closes each one still open, as after a crash. The stopped tunnel was forgotten before
 * the engine was ended, so nothing closed them: their rows in the live log stayed "open" for ever.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TunnelEvent } from '../../../../shared/model/events.ts';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { withDeadline } from '../../../fixtures/deadline.ts';
import { runningIn, scriptedSpawner } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});

const status = { brokers: [], openConnections: 0, totalConnections: 0 };
const opened = (id: number): TunnelEvent => ({ event: 'connection.opened', id, time: new Date().toISOString(), profile: 'alpha', listener: 'pulsar', local: '127.0.0.1:5555', sni: 'pulsar.example.test', proxy: 'proxy.example.test:4443' });

describe('the connections of a tunnel whose stop the engine did not answer', () => {
  it('are closed in the log, saying the engine was ended', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn, stopTimeoutMs: 200 });
    const { tunnel: alpha, events } = await runningIn(remote, engines[0]!, 'alpha', 7001);
    engines[0]!.say({ type: 'event', id: 1, event: opened(1), status });
    engines[0]!.say({ type: 'event', id: 1, event: { event: 'connection.progress', id: 1, bytesUp: 10, bytesDown: 20 }, status });

    await withDeadline(alpha.dispose(), 5_000, 'the stop');
    expect(engines[0]!.exited).toBeDefined();
    expect(events.filter((event) => event.event === 'connection.closed')).toEqual([
      expect.objectContaining({ id: 1, bytesUp: 10, bytesDown: 20, error: expect.objectContaining({ code: 'ENGINE_CRASHED', message: expect.stringMatching(/did not answer a stop within 0\.2 s and was ended while this connection was open/) }) }),
    ]);
  });
});
