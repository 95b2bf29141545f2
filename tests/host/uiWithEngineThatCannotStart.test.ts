/**
 * The web UI (serveUi, as `pulsar-tunnel ui` and `npm start` run it) whose engine cannot start: the
 * engine entry is missing, as in a broken or half-finished build. Real engine processes are forked
 * and die. The user is told, in the terminal as soon as the app gives up and in the UI when a start
 * fails, that the engine could not start, where its own error is, and a command that rebuilds it,
 * one that exists: the message named `npm run build`, which is no script of this project.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../fixtures/cliProcess.ts';
import { eventually, withDeadline } from '../fixtures/deadline.ts';
import { openWebUi } from '../fixtures/webUiSession.ts';
import { ensureRendererBuild } from '../../src-main/host/rendererBuild.ts';
import { serveUi } from '../../src-main/host/serveUi.ts';

let home: string;
let previousHome: string | undefined;

beforeAll(async () => {
  await ensureRendererBuild();
  home = await mkdtemp(join(tmpdir(), 'pt-broken-engine-'));
  previousHome = process.env.PULSAR_TUNNEL_HOME;
  process.env.PULSAR_TUNNEL_HOME = home;
}, 120_000);

afterAll(async () => {
  if (previousHome === undefined) delete process.env.PULSAR_TUNNEL_HOME;
  else process.env.PULSAR_TUNNEL_HOME = previousHome;
  if (home) await rm(home, { recursive: true, force: true });
});

/** The `npm run X` commands a text names, each checked against package.json's scripts. */
async function unknownScripts(text: string): Promise<string[]> {
  const scripts = (JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  return [...text.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]!).filter((script) => !(script in scripts));
}

describe('the web UI with an engine that cannot start', () => {
  it('says so in the terminal and when a tunnel is started, naming a rebuild command that exists', async () => {
    const printed: string[] = [];
    const logged: string[] = [];
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    const serving = serveUi({
      port: 0,
      open: false,
      until,
      engineEntry: join(home, 'out', 'cli', 'missing.mjs'),
      print: (line) => printed.push(line),
      log: (line) => logged.push(line),
    });
    try {
      const { reply: call } = await openWebUi(() => printed.join('\n'));

      // The terminal: once the engines died, before anyone started a tunnel.
      const told = await eventually(() => logged.find((line) => /engine could not start/.test(line)), { timeoutMs: 20_000, what: 'the terminal told the engine could not start' });
      expect(told).toMatch(/npm run build:cli/);
      expect(await unknownScripts(told)).toEqual([]);

      // The UI: the profiles still work; a start fails saying why and what to do.
      expect((await call('saveProfile', [{ name: 'local', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: 0 } }])).ok).toBe(true);
      const started = await withDeadline(call('startTunnel', ['local']), 30_000, 'the start to fail');
      expect(started.error?.code).toBe('ENGINE_CRASHED');
      expect(started.error?.message).toMatch(/could not start/);
      expect(started.error?.message).toMatch(/npm run build:cli/);
      expect(await unknownScripts(started.error!.message)).toEqual([]);
      const statuses = (await call('tunnelStatus')).value as { profile: string; state: string; lastError?: { code: string } }[];
      expect(statuses).toEqual([expect.objectContaining({ profile: 'local', state: 'stopped', lastError: expect.objectContaining({ code: 'ENGINE_CRASHED' }) })]);
    } finally {
      stop();
      await withDeadline(serving, 20_000, 'the UI to stop');
    }
  }, 120_000);
});
