/**
 * A running tunnel (`pulsar-tunnel run`) keeps V8's young generation at the 1 MB per semi-space it
 * starts with: the CLI stops its growth before a command loads its modules, since pages the young
 * generation grows into stay resident for the life of the tunnel (gcTuning.ts). Its size is read
 * inside the real CLI process by a module preloaded with --import, which prints it at exit.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliEntry, startCli } from '../fixtures/cliProcess.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pt-young-generation-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Prints the young generation's size (both semi-spaces) in MB to stderr as the process exits. */
const reportAtExit = [
  "import v8 from 'node:v8';",
  "import { writeSync } from 'node:fs';",
  "process.on('exit', () => writeSync(2, `young-generation-mb=${v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size / 1048576}\\n`));",
].join('\n');

it('runs a tunnel whose young generation stays at the 1 MB per semi-space it started with', async () => {
  const file = path.join(dir, 'young.json');
  await writeFile(file, JSON.stringify({ name: 'young', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: 0 } }));
  const cli = startCli(['run', file, '--log-format', 'json'], {
    entry: ['--import', `data:text/javascript,${encodeURIComponent(reportAtExit)}`, cliEntry],
    env: { PULSAR_TUNNEL_HOME: path.join(dir, 'home') },
  });
  try {
    await cli.waitForEvent((event) => event.event === 'ready', 15_000);
  } finally {
    await cli.stop('SIGTERM');
  }
  const reported = /young-generation-mb=([\d.]+)/.exec(cli.stderr());
  expect(reported, cli.stderr()).not.toBeNull();
  // Two semi-spaces of 1 MB; V8 grows them to 2 MB each while the engine's modules load otherwise.
  expect(Number(reported![1])).toBeLessThanOrEqual(2);
});
