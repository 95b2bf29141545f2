/**
 * `npm start` (bin/start.mjs) on a machine where keytar did not build during `npm ci` (no
 * libsecret headers): it says in one line what to install, and the UI starts all the same. A
 * preloaded hook makes `keytar` unresolvable in the child, as npm leaves it after a failed build.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot, startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { eventually } from '../fixtures/deadline.ts';
import { keytarMissingAdvice } from '../../shared/keytarAdvice.ts';

let dir: string;
const started: CliProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pt-start-'));
  await writeFile(
    path.join(dir, 'no-keytar.cjs'),
    `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'keytar') throw Object.assign(new Error("Cannot find module 'keytar'"), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};
`,
  );
});

afterAll(async () => {
  await Promise.all(started.map((child) => child.stop().catch(() => undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startWebUi(preload: string[]): Promise<CliProcess> {
  const child = startCli(['--web', '--no-open', '--port', '0'], {
    entry: [...preload, path.join(repoRoot, 'bin', 'start.mjs')],
    env: { PULSAR_TUNNEL_HOME: path.join(dir, 'home') },
  });
  started.push(child);
  await eventually(() => (/pulsar-tunnel UI: http:\/\/127\.0\.0\.1:\d+\//.test(child.stdout()) ? true : undefined), { timeoutMs: 120_000, what: 'the UI URL' });
  return child;
}

it('says in one line what to install when keytar is missing, and starts the UI all the same', async () => {
  const child = await startWebUi(['--require', path.join(dir, 'no-keytar.cjs')]);
  const keytarLines = child.stderr().split('\n').filter((line) => line.includes('keytar'));
  expect(keytarLines).toHaveLength(1);
  expect(keytarLines[0]).toMatch(/^pulsar-tunnel: the OS keychain module \(keytar\) is not installed or did not build /);
  // The same advice as the CLI's and the UI's KEYCHAIN_UNAVAILABLE.
  expect(keytarLines[0]).toContain(keytarMissingAdvice);
  expect((await child.stop('SIGINT')).code).toBe(0);
}, 150_000);

it('says nothing about keytar when it loads, and that the web UI starts as asked (not "instead")', async () => {
  const child = await startWebUi([]);
  expect(child.stderr()).not.toContain('keytar');
  expect(child.stdout().split('\n')[0]).toBe('pulsar-tunnel: starting the web UI (asked for by --web or PULSAR_TUNNEL_UI=web).');
  expect((await child.stop('SIGINT')).code).toBe(0);
}, 150_000);
