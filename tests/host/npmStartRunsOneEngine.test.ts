/**
 * `npm start -- --web` (bin/start.mjs) runs its tunnels in one engine child process, forked from the
 * CLI's entry: forking start.mjs itself started another web UI, which forked again, without end,
 * and its tunnels never listened. A black box: the real start script, a tunnel started through the
 * API, the process tree read from /proc.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot, startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { eventually } from '../fixtures/deadline.ts';
import { sessionFromHandOff } from '../fixtures/webUiSession.ts';
import { ensureRendererBuild } from '../../src-main/host/rendererBuild.ts';

let home: string;
let ui: CliProcess | undefined;

beforeAll(async () => {
  await ensureRendererBuild();
  home = await mkdtemp(path.join(tmpdir(), 'pt-npm-start-'));
}, 180_000);

afterAll(async () => {
  await ui?.stop('SIGKILL').catch(() => undefined);
  if (home) await rm(home, { recursive: true, force: true });
});

/** Every descendant of `pid` with its command line, from /proc. */
async function descendants(pid: number): Promise<{ pid: number; argv: string[] }[]> {
  const found: { pid: number; argv: string[] }[] = [];
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean).map(Number);
  for (const child of children) {
    const argv = (await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
    found.push({ pid: child, argv }, ...(await descendants(child)));
  }
  return found;
}

it('forks one engine from the CLI entry, whose tunnel listens, and stops it on Ctrl-C', async () => {
  ui = startCli(['--web', '--no-open', '--port', '0'], { entry: [path.join(repoRoot, 'bin', 'start.mjs')], env: { PULSAR_TUNNEL_HOME: home } });
  const link = await eventually(() => /http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+/.exec(ui!.stdout())?.[0], { timeoutMs: 120_000, what: 'the UI URL' });
  const url = new URL(link);
  const session = sessionFromHandOff(await (await fetch(link)).text());
  const call = async (method: string, args: unknown[] = []) => {
    const response = await fetch(`${url.origin}/api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${session}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ args }) });
    const body = (await response.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };
    if (!body.ok) throw new Error(`${method}: ${body.error?.code} ${body.error?.message}`);
    return body.value;
  };
  // No proxy needs to answer: the local listener opens before any connection is dialed.
  await call('saveProfile', [{ name: 'local', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: 0 } }]);
  const started = (await call('startTunnel', ['local'])) as { listen?: { pulsar: string } };
  const port = Number(started.listen!.pulsar.split(':').pop());
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve()));
    socket.once('error', reject);
  });

  const tree = await descendants(ui.pid);
  const engines = tree.filter((process) => process.argv.includes('engine'));
  expect(engines).toHaveLength(1);
  expect(engines[0]!.argv.some((arg) => arg.endsWith(path.join('bin', 'pulsar-tunnel.mjs')))).toBe(true);
  expect(tree.filter((process) => process.argv.some((arg) => arg.endsWith('start.mjs')))).toEqual([]);

  expect(await ui.stop('SIGINT', 20_000)).toEqual({ code: 0, signal: null });
  // Not left behind as orphans either.
  const alive = async (pid: number) => !/^State:\s+Z/m.test(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => 'State: Z'));
  await eventually(async () => (await Promise.all(tree.map((process) => alive(process.pid)))).every((running) => !running) || undefined, { timeoutMs: 10_000, what: 'the engine to exit' });
  ui = undefined;
}, 180_000);
