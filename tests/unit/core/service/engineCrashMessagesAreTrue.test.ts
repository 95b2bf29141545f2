/**
 * What the user reads when the engine process dies says what happened and what happens next, and
 * nothing that has not happened: when a running tunnel is told its engine died, the engine is not
 * restarted yet (it may never be), and an engine the shell ended because it never said it was
 * ready is described as that, not as a crash with a signal the user never sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually } from '../../../fixtures/deadline.ts';
import { runningIn, scriptedSpawner, startFailure } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});

describe('messages about an engine that died', () => {
  it('tell a running tunnel its engine is being restarted, not that it was', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn });
    const { events } = await runningIn(remote, engines[0]!, 'alpha', 7001);

    engines[0]!.exit('exit code 134');
    // Said at once, before any engine was started again.
    expect(engines).toHaveLength(1);
    const reported = events.find((event) => event.event === 'listener.error');
    const message = reported && 'error' in reported ? reported.error?.message : undefined;
    expect(message).toContain('exit code 134');
    expect(message).not.toMatch(/was restarted|started again on/);
    expect(message).toMatch(/being restarted/);
  });

  it('tell a running tunnel, once the engine could not start, that it is stopped and to start it again', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn, buildCommand: 'npm run build:cli' });
    const { events } = await runningIn(remote, engines[0]!, 'alpha', 7001);

    engines[0]!.exit('killed by SIGKILL');
    for (const next of [1, 2, 3]) {
      const engine = await eventually(() => engines[next], { timeoutMs: 5_000, what: `engine ${next}` });
      engine.exit('exit code 1');
    }
    const messages = events.flatMap((event) => (event.event === 'listener.error' ? [event.error.message] : []));
    expect(messages).toHaveLength(4);
    expect(messages[3]).toMatch(/could not start/);
    expect(messages[3]).toMatch(/This tunnel is stopped: start it again/);
  });

  it('say an engine that never said it was ready was ended for that', async () => {
    const { spawn } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn, readyTimeoutMs: 50 });
    const error = await startFailure(remote, 'alpha');
    expect(error?.code).toBe('ENGINE_CRASHED');
    expect(error?.message).toMatch(/not ready within 0\.05 s/);
    expect(error?.message).not.toContain('SIGKILL');
  });
});
