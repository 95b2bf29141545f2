/**
 * `npm start` (bin/start.mjs) where Electron's binary cannot be had (offline, blocked, or a wrong
 * ELECTRON_OVERRIDE_DIST_PATH): one line that carries the underlying error and points at the README
 * section on supplying the binary, then the web UI all the same.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot, startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { eventually, freePort } from '../fixtures/deadline.ts';

let dir: string;
const started: CliProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pt-start-electron-'));
});

afterAll(async () => {
  await Promise.all(started.map((child) => child.stop().catch(() => undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startWithDisplay(env: Record<string, string>): Promise<string> {
  const child = startCli(['--no-open', '--port', '0'], {
    entry: [path.join(repoRoot, 'bin', 'start.mjs')],
    // A display is claimed so that start.mjs goes on to look for Electron's binary.
    env: { DISPLAY: ':99', PULSAR_TUNNEL_HOME: path.join(dir, 'home'), ...env },
  });
  started.push(child);
  await eventually(() => (/pulsar-tunnel UI: http:\/\/127\.0\.0\.1:\d+\//.test(child.stdout()) ? true : undefined), { timeoutMs: 120_000, what: 'the UI URL' });
  expect((await child.stop('SIGINT')).code).toBe(0);
  return child.stdout().split('\n')[0]!;
}

it('says why the download failed, with its error, and where the README says how to supply the binary', async () => {
  const port = await freePort();
  // An empty cache and a mirror where nothing listens: the download fails at once, as offline.
  const line = await startWithDisplay({ ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_config_cache: path.join(dir, 'empty-cache') });
  expect(line).toMatch(/^pulsar-tunnel: Electron's binary could not be downloaded \(fetch failed: .*ECONNREFUSED.*\); to supply it, see the README, "Electron without a download"; starting the web UI instead\.$/);
}, 150_000);

it('names ELECTRON_OVERRIDE_DIST_PATH when it points where there is no Electron', async () => {
  const line = await startWithDisplay({ ELECTRON_OVERRIDE_DIST_PATH: path.join(dir, 'no-electron') });
  expect(line).toBe(`pulsar-tunnel: ELECTRON_OVERRIDE_DIST_PATH is set, but ${path.join(dir, 'no-electron', 'electron')} does not exist (README, "Electron without a download"); starting the web UI instead.`);
}, 150_000);
