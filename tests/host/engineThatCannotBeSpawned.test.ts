/**
 * An engine process that cannot even be spawned (no file descriptor left, a container's process
 * limit reached) counts as an engine that died: the next one is started after the back-off, and
 * the app's tunnels work once the system lets it. Node reports such a fork only with 'error' and
 * 'close', never 'exit': the shell waited for an exit that never came, and every start waited for
 * ever. A black box: a real shell process under a file-descriptor limit, real engine processes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, startCli } from '../fixtures/cliProcess.ts';

describe('an engine that cannot be spawned', () => {
  it('is replaced by the next one, which comes up', async () => {
    const shell = startCli(['20000'], { entry: [join(repoRoot, 'tests', 'host', 'fixtures', 'engineSpawnFailsOnce.mjs')], wrapper: ['prlimit', '--nofile=256', '--'] });
    const status = await shell.exited;
    expect(shell.stdout().trim()).toBe('ready');
    expect(status).toEqual({ code: 0, signal: null });
  }, 60_000);
});
