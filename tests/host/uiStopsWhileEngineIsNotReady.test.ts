/**
 * `pulsar-tunnel ui` stopped (Ctrl-C) while a start waits for an engine that is not ready (its
 * start hangs: it runs but never says it is ready) exits at once, the start failing as the app shuts
 * down, and leaves no engine behind. The first Ctrl-C waited for the engine's ready timeout, 30 s,
 * up to three times (each engine replaced by one as stuck), before the UI went.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { eventually } from '../fixtures/deadline.ts';
import { sessionFromHandOff } from '../fixtures/webUiSession.ts';
import { ensureRendererBuild } from '../../src-main/host/rendererBuild.ts';
import { enginePids } from './fixtures/enginePids.ts';

let home: string;
let ui: CliProcess | undefined;

beforeAll(async () => {
  await ensureRendererBuild();
  home = await mkdtemp(join(tmpdir(), 'pt-stop-engine-not-ready-'));
}, 120_000);

afterAll(async () => {
  await ui?.stop('SIGKILL').catch(() => undefined);
  if (home) await rm(home, { recursive: true, force: true });
});

describe('pulsar-tunnel ui stopped while a start waits for the engine', () => {
  it('exits at once, and no engine is left', async () => {
    const preload = join(repoRoot, 'tests', 'host', 'fixtures', 'engineNeverReady.cjs');
    ui = startCli(['ui', '--no-open'], { env: { PULSAR_TUNNEL_HOME: home, DISPLAY: '', WAYLAND_DISPLAY: '', NODE_OPTIONS: `--require ${preload}` } });
    const link = await eventually(() => /http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+/.exec(ui!.stdout())?.[0], { timeoutMs: 30_000, what: 'the UI URL' });
    const url = new URL(link);
    const session = sessionFromHandOff(await (await fetch(link)).text());
    const call = (method: string, args: unknown[] = []) =>
      fetch(`${url.origin}/api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${session}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ args }) }).then(
        async (response) => (await response.json()) as { ok: boolean; value?: unknown },
      );
    expect((await call('saveProfile', [{ name: 'local', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: 0 } }])).ok).toBe(true);
    const [engine] = await eventually(async () => (await enginePids(ui!.pid)).length > 0 && enginePids(ui!.pid), { timeoutMs: 10_000, what: 'the engine process' });
    // Cut when the UI closes its host; what matters here is how quickly the UI goes.
    const starting = call('startTunnel', ['local']).catch(() => undefined);
    await eventually(async () => ((await call('tunnelStatus')).value as { state: string }[])[0]?.state === 'starting' || undefined, { timeoutMs: 10_000, what: 'the start waiting' });

    const asked = Date.now();
    expect(await ui.stop('SIGINT', 10_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(ui.stderr()).toMatch(/pulsar-tunnel: stopped/);
    expect(await enginePids(ui.pid)).toEqual([]);
    expect(() => process.kill(engine!, 0)).toThrow();
    await starting;
    ui = undefined;
  }, 120_000);
});
