/**
 * A tunnel whose stop the engine did not answer: the engine is ended with the tunnel's connections,
 * and the log closes each one still open, as after a crash. The stopped tunnel was forgotten before
 * the engine was ended, so nothing closed them: their rows in the live log stayed "open" for ever.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { withDeadline } from '../../../fixtures/deadline.ts';
import { openedEvent, runningIn, scriptedSpawner } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});


describe('the connections of a tunnel whose stop the engine did not answer', () => {
  it('are closed in the log, saying the engine was ended', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn, stopTimeoutMs: 200 });
    const { tunnel: alpha, events } = await runningIn(remote, engines[0]!, 'alpha', 7001);
    engines[0]!.event(openedEvent(1));
    engines[0]!.event({ event: 'connection.progress', id: 1, bytesUp: 10, bytesDown: 20 });

    await withDeadline(alpha.dispose(), 5_000, 'the stop');
    expect(engines[0]!.exited).toBeDefined();
    expect(events.filter((event) => event.event === 'connection.closed')).toEqual([
      expect.objectContaining({ id: 1, bytesUp: 10, bytesDown: 20, error: expect.objectContaining({ code: 'ENGINE_CRASHED', message: expect.stringMatching(/did not answer a stop within 0\.2 s and was ended while this connection was open/) }) }),
    ]);
  });
});
