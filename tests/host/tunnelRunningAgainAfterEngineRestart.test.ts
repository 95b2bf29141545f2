/**
 * `pulsar-tunnel ui`: once the restarted engine has brought a tunnel back (its listener accepts
 * again), the tunnel's status says running again, with the crash kept as its last error. It stayed
 * "failing", the crash's "being restarted" as the latest word, until some client happened to get a
 * broker's answer through it: an idle tunnel looked broken for good. A black box: the real CLI and
 * its engine child process, a tunnel whose listener opens without any proxy answering.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { enginePids } from './fixtures/enginePids.ts';
import { eventually } from '../fixtures/deadline.ts';
import { openWebUi } from '../fixtures/webUiSession.ts';
import { ensureRendererBuild } from '../../src-main/host/rendererBuild.ts';

let home: string;
let ui: CliProcess | undefined;

beforeAll(async () => {
  await ensureRendererBuild();
  home = await mkdtemp(join(tmpdir(), 'pt-running-again-'));
}, 120_000);

afterAll(async () => {
  await ui?.stop('SIGKILL').catch(() => undefined);
  if (home) await rm(home, { recursive: true, force: true });
});

interface Status {
  profile: string;
  state: string;
  lastError?: { code: string };
}

describe('a tunnel brought back by the restarted engine', () => {
  it('is running again, the crash kept as its last error', async () => {
    ui = startCli(['ui', '--no-open'], { env: { PULSAR_TUNNEL_HOME: home, DISPLAY: '', WAYLAND_DISPLAY: '' } });
    const { call } = await openWebUi(() => ui!.stdout());
    // No proxy needs to answer: the local listener opens before any connection is dialed.
    await call('saveProfile', [{ name: 'local', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: 0 } }]);
    expect((await call('startTunnel', ['local'])).state).toBe('running');

    const [engine] = await enginePids(ui.pid);
    expect(engine).toBeGreaterThan(0);
    process.kill(engine!, 'SIGKILL');
    const crashed = await eventually(async () => ((await call('tunnelStatus')) as Status[]).find((status) => status.lastError?.code === 'ENGINE_CRASHED'), { timeoutMs: 10_000, what: 'the crash in the status' });
    expect(crashed.state).toBe('failing');

    // No client connects: the listener being back is what says so.
    const back = await eventually(async () => ((await call('tunnelStatus')) as Status[]).find((status) => status.state === 'running'), { timeoutMs: 20_000, what: 'the tunnel to be running again' });
    expect(back.lastError?.code).toBe('ENGINE_CRASHED');
    const [replacement] = await enginePids(ui.pid);
    expect(replacement).not.toBe(engine);

    expect(await ui.stop('SIGINT', 20_000)).toEqual({ code: 0, signal: null });
    ui = undefined;
  }, 120_000);
});
