/**
 * Two stored profiles on one local port: the second `run --profile` is refused with
 * TUNNEL_LISTEN_IN_USE naming the profile whose tunnel holds the port (recorded in
 * <data folder>/running while it runs), the app (createAppService) is told the same, `--port N` /
 * `--web-port N` let both run, a record of a dead process is not believed, and a stopped tunnel
 * leaves no record.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createAppService } from '../../src-main/core/service/createAppService.ts';
import { runCli, startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { freePort, once } from '../fixtures/deadline.ts';

let dir: string;
let env: Record<string, string>;
let port: number;
let webPort: number;
const clis: CliProcess[] = [];

function start(args: string[]): CliProcess {
  const cli = startCli(['run', ...args, '--log-format', 'json'], { env });
  clis.push(cli);
  return cli;
}

const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pt-port-conflict-'));
  env = { PULSAR_TUNNEL_HOME: path.join(dir, 'home') };
  port = await freePort();
  webPort = await freePort();
  for (const name of ['alpha', 'beta']) {
    const file = path.join(dir, `${name}.json`);
    // Nothing is dialed until a client connects: the proxy address only has to be well-formed.
    await writeFile(
      file,
      JSON.stringify({ name, serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', webServiceUrl: 'https://web.test:8443', listen: { port, webPort } }),
    );
    const imported = await runCli(['profiles', 'import', file], { env });
    expect(imported.code, imported.stderr).toBe(0);
  }
});

afterEach(async () => {
  await Promise.all(clis.splice(0).map((cli) => cli.stop().catch(() => cli.stop('SIGKILL').catch(() => undefined))));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('refuses the second profile on the same port naming the profile that holds it, and --port lets both run', async () => {
  const alpha = start(['--profile', 'alpha']);
  const alphaReady = await alpha.waitForEvent((event) => event.event === 'ready');
  expect(portOf(alphaReady.listen.pulsar)).toBe(port);

  const refused = await runCli(['run', '--profile', 'beta', '--log-format', 'json'], { env });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(new RegExp(`TUNNEL_LISTEN_IN_USE: Local port ${port} \\(listen.port of profile "beta"\\) is already used by the running tunnel of pulsar-tunnel profile "alpha" \\(process ${alpha.pid}\\)`));
  expect(refused.stderr).toContain('--port N');
  expect(refused.stdout).toBe('');

  const beta = start(['--profile', 'beta', '--port', '0', '--web-port', '0']);
  const betaReady = await beta.waitForEvent((event) => event.event === 'ready');
  expect(portOf(betaReady.listen.pulsar)).not.toBe(port);
  expect(portOf(betaReady.listen.http)).not.toBe(webPort);
  // Both tunnels accept connections.
  for (const address of [alphaReady.listen.pulsar, betaReady.listen.pulsar]) {
    const socket = net.connect({ host: '127.0.0.1', port: portOf(address) });
    await once(socket, 'connect', 5_000);
    socket.destroy();
  }
});

it('tells the app (and the web UI) which profile holds the port when it starts a tunnel there', async () => {
  const alpha = start(['--profile', 'alpha']);
  await alpha.waitForEvent((event) => event.event === 'ready');
  const app = await createAppService({ dataDir: env.PULSAR_TUNNEL_HOME });
  try {
    await expect(app.service.startTunnel('beta')).rejects.toMatchObject({
      code: 'TUNNEL_LISTEN_IN_USE',
      message: expect.stringContaining(`is already used by the running tunnel of pulsar-tunnel profile "alpha" (process ${alpha.pid})`),
    });
  } finally {
    await app.dispose();
  }
});

it('names the holder of the web port when only that one clashes', async () => {
  const alpha = start(['--profile', 'alpha']);
  await alpha.waitForEvent((event) => event.event === 'ready');
  const refused = await runCli(['run', '--profile', 'beta', '--port', '0'], { env });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(new RegExp(`Local port ${webPort} \\(listen.webPort of profile "beta"\\) is already used by the running tunnel of pulsar-tunnel profile "alpha"`));
});

it('refuses --web-port for a profile without a web service, and a port that is not a number', async () => {
  const file = path.join(dir, 'plain.json');
  await writeFile(file, JSON.stringify({ name: 'plain', serviceUrl: 'pulsar+ssl://pulsar.test:6651', listen: { port: 0 } }));
  const noWeb = await runCli(['run', file, '--web-port', '0'], { env });
  expect(noWeb.code).toBe(2);
  expect(noWeb.stderr).toMatch(/--web-port: profile "plain" has no webServiceUrl/);
  const notANumber = await runCli(['run', file, '--port', 'http'], { env });
  expect(notANumber.code).toBe(2);
  expect(notANumber.stderr).toMatch(/--port.*must be a port number from 0 to 65535/);
});

it('does not believe the record of a dead process, deletes it, and leaves no record after a stop', async () => {
  // The pid of a process that has exited.
  const child = spawn(process.execPath, ['-e', '0']);
  const deadPid = child.pid!;
  await once(child, 'exit', 10_000);
  const running = path.join(dir, 'home', 'running');
  await mkdir(running, { recursive: true });
  await writeFile(path.join(running, `${deadPid}-1.json`), JSON.stringify({ pid: deadPid, profile: 'ghost', listen: { pulsar: `127.0.0.1:${port}` }, startedAt: new Date().toISOString() }));
  // Another program holds the port.
  const other = net.createServer();
  await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve));
  try {
    const refused = await runCli(['run', '--profile', 'alpha'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/TUNNEL_LISTEN_IN_USE: Local address 127\.0\.0\.1:\d+ is already in use/);
    expect(refused.stderr).not.toContain('ghost');
    expect(await readdir(running)).toEqual([]);
  } finally {
    await new Promise((resolve) => other.close(resolve));
  }

  const alpha = start(['--profile', 'alpha']);
  await alpha.waitForEvent((event) => event.event === 'ready');
  expect(await readdir(running)).toHaveLength(1);
  expect((await alpha.stop()).code).toBe(0);
  expect(await readdir(running)).toEqual([]);
});
