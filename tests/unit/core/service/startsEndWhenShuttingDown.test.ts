/**
 * Shutting the engine down ends the starts that wait for an engine at once, with the
 * shutting-down error: a start waiting for an engine that is not ready, and a start that was in
 * flight when its engine died, sent again to the next engine, which is not ready yet. The second
 * was never answered: dispose() ended the new engine, and nothing ended the start.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually, withDeadline } from '../../../fixtures/deadline.ts';
import { sampleConfig, scriptedSpawner } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});

const noEvents = { onEvent: () => undefined };

describe('starts waiting for an engine when the app shuts down', () => {
  it('fail at once, one waiting for the first engine and one sent again after a crash', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn });
    engines[0]!.say({ type: 'ready' });
    const resent = remote.startTunnel(sampleConfig('alpha'), noEvents);
    await eventually(() => engines[0]!.starts().length === 1, { timeoutMs: 5_000, what: 'the start sent' });
    engines[0]!.exit('killed by SIGKILL');
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });
    const waiting = remote.startTunnel(sampleConfig('beta'), noEvents);

    const ended = Promise.allSettled([resent, waiting]);
    await withDeadline(remote.dispose(), 2_000, 'the engine to end');
    const [afterCrash, first] = await withDeadline(ended, 2_000, 'the starts to end');
    expect(afterCrash).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/shutting down/) } });
    expect(first).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/shutting down/) } });
  });
});
