/**
 * Starting an engine process can throw (Node's fork throws on errors it does not report as events,
 * such as ENOMEM; Electron's utilityProcess.fork can throw too). That is an engine that died
 * before it was ready, not an exception in a timer that takes the whole app down: the next one is
 * started after the back-off, and the tunnels come back in it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually, withDeadline } from '../../../fixtures/deadline.ts';
import { runningIn, scriptedSpawner, startFailure } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});

describe('a spawn that throws', () => {
  it('counts as an engine that died: the next one is started and runs the tunnels', async () => {
    const scripted = scriptedSpawner();
    let calls = 0;
    const spawn = () => {
      calls += 1;
      if (calls === 2) throw new Error('spawn ENOMEM');
      return scripted.spawn();
    };
    const { engines } = scripted;
    remote = createRemoteTunnels({ spawn });
    await runningIn(remote, engines[0]!, 'alpha', 7001);

    engines[0]!.exit('killed by SIGKILL');
    // The second spawn throws; the third is the engine that replaces the first.
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'an engine after the one that could not be spawned' });
    expect(calls).toBe(3);
    engines[1]!.say({ type: 'ready' });
    await eventually(() => engines[1]!.starts().includes(1), { timeoutMs: 5_000, what: 'the tunnel started again' });
    await withDeadline(remote.whenReady(), 5_000, 'the engine to be ready');
  });

  it('fails a start saying the engine could not start when every spawn throws', async () => {
    remote = createRemoteTunnels({
      spawn: () => {
        throw new Error('spawn ENOMEM');
      },
    });
    const error = await startFailure(remote, 'alpha');
    expect(error?.code).toBe('ENGINE_CRASHED');
    expect(error?.message).toMatch(/could not start: .*spawn ENOMEM/);
  });
});
