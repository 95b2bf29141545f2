/**
 * An engine that does not answer a stop within the stop timeout is presumed stuck, and is ended,
 * so the stop is true (nothing listens on the tunnel's port any more) and the other tunnels come
 * back in a new engine, their log saying why. It returned after the timeout, the app said
 * "stopped", and the tunnel may have gone on listening in the stuck engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TunnelEvent } from '../../../../shared/model/events.ts';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually, withDeadline } from '../../../fixtures/deadline.ts';
import { sampleConfig, scriptedSpawner } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});

describe('an engine that does not answer a stop', () => {
  it('is ended, and only the other tunnels come back in the next one, told why', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn, stopTimeoutMs: 200 });
    engines[0]!.say({ type: 'ready' });
    const alpha = remote.startTunnel(sampleConfig('alpha'), { onEvent: () => undefined });
    await eventually(() => engines[0]!.starts().length === 1, { timeoutMs: 5_000, what: 'alpha sent' });
    engines[0]!.started(1, 7001);
    const betaEvents: TunnelEvent[] = [];
    const beta = remote.startTunnel(sampleConfig('beta'), { onEvent: (event) => betaEvents.push(event) });
    await eventually(() => engines[0]!.starts().length === 2, { timeoutMs: 5_000, what: 'beta sent' });
    engines[0]!.started(2, 7002);
    await beta;

    await withDeadline((await alpha).dispose(), 5_000, 'the stop');
    expect(engines[0]!.exited).toBeDefined();
    expect(betaEvents).toContainEqual(expect.objectContaining({ event: 'listener.error', error: expect.objectContaining({ code: 'ENGINE_CRASHED', message: expect.stringMatching(/did not answer a stop within 0\.2 s and was ended; it is being restarted/) }) }));
    const next = await eventually(() => engines[1], { timeoutMs: 5_000, what: 'a new engine' });
    next.say({ type: 'ready' });
    await eventually(() => next.starts().length > 0, { timeoutMs: 5_000, what: 'the tunnels started again' });
    expect(next.starts()).toEqual([2]);
  });
});
