/**
 * `pulsar-tunnel ui`: a tunnel the user stops while its engine process is being restarted (killed,
 * a crash) stops at once and stays stopped: starting it again gets its port back. Before, the stop
 * waited out its 10 s timeout while the new engine brought the stopped tunnel back on its port,
 * unseen by the app, so the next start of the profile failed with TUNNEL_LISTEN_IN_USE. A black
 * box: the real CLI, its real engine child process, a tunnel on a fixed local port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { enginePids } from './fixtures/enginePids.ts';
import { eventually, freePort } from '../fixtures/deadline.ts';
import { openWebUi } from '../fixtures/webUiSession.ts';
import { ensureRendererBuild } from '../../src-main/host/rendererBuild.ts';

let home: string;
let ui: CliProcess | undefined;

beforeAll(async () => {
  await ensureRendererBuild();
  home = await mkdtemp(join(tmpdir(), 'pt-stop-during-restart-'));
}, 120_000);

afterAll(async () => {
  await ui?.stop('SIGKILL').catch(() => undefined);
  if (home) await rm(home, { recursive: true, force: true });
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('a tunnel stopped while the engine restarts', () => {
  it('stops at once, and starting it again gets its port', async () => {
    ui = startCli(['ui', '--no-open'], { env: { PULSAR_TUNNEL_HOME: home, DISPLAY: '', WAYLAND_DISPLAY: '' } });
    const { reply: call } = await openWebUi(() => ui!.stdout());
    const port = await freePort();
    // No proxy needs to answer: the local listener opens before any connection is dialed.
    expect((await call('saveProfile', [{ name: 'local', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port } }])).ok).toBe(true);
    expect((await call('startTunnel', ['local'])).ok).toBe(true);
    expect(await accepts(port)).toBe(true);

    const [engine] = await enginePids(ui.pid);
    expect(engine).toBeGreaterThan(0);
    process.kill(engine!, 'SIGKILL');
    // The app has seen the crash (the restarted engine takes longer to be ready than this).
    await eventually(async () => (await call('tunnelStatus')).value?.some((status: { lastError?: { code: string } }) => status.lastError?.code === 'ENGINE_CRASHED'), {
      timeoutMs: 10_000,
      what: 'the crash in the status',
    });
    const stopAsked = Date.now();
    const stopped = await call('stopTunnel', ['local']);
    expect(stopped.ok).toBe(true);
    expect(stopped.value.state).toBe('stopped');
    // Nothing was running to stop: no waiting for the 10 s stop timeout.
    expect(Date.now() - stopAsked).toBeLessThan(5_000);

    // The profile started again, on the same port, in the restarted engine.
    const again = await call('startTunnel', ['local']);
    expect(again.error).toBeUndefined();
    expect(again.value.listen.pulsar).toBe(`127.0.0.1:${port}`);
    const [replacement] = await enginePids(ui.pid);
    expect(replacement).not.toBe(engine);
    expect((await call('stopTunnel', ['local'])).ok).toBe(true);
    expect(await accepts(port)).toBe(false);

    expect(await ui.stop('SIGINT', 20_000)).toEqual({ code: 0, signal: null });
    ui = undefined;
  }, 120_000);
});
