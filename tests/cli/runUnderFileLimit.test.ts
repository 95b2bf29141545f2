/**
 * The CLI under a low limit on open files (`prlimit --nofile`), flooded with web-listener clients
 * that never finish their request head. libuv would accept and drop connections past the limit
 * without a word (its EMFILE trick); the tunnel instead refuses them itself before the limit, says so
 * (`listener.error` TUNNEL_FILE_LIMIT), keeps room for Pulsar traffic, and serves the web listener
 * again once the stalled clients are gone.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAdminCluster, type AdminCluster } from '../fixtures/adminServer.ts';
import { startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { eventually } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { ensureProgram } from '../fixtures/systemPrograms.ts';
import { exchange, startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal, splitAddress } from '../tunnel/harness.ts';

// Enough for the CLI to start (it opens ~25 files at once while loading), low enough to flood.
const fileLimit = 150;
const token = 'file-limit-token';
let pki: TestPki;
let broker: TlsBackend;
let admin: AdminCluster;
let ats: SniRouter;
let dir: string;
let cli: CliProcess | undefined;
const flood: net.Socket[] = [];

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['pulsar.test', 'broker1.test'] });
  broker = await startTlsBackend({ credential: pki.servers['pulsar.test']!, behaviour: 'echo' });
  admin = await startAdminCluster({ pki, brokers: ['broker1.test'], token });
  ats = await startAts({ routes: [{ fqdn: 'pulsar.test', target: broker.address }, ...admin.sniRoutes()] });
  dir = await mkdtemp(path.join(tmpdir(), 'pt-nofile-'));
});

afterAll(async () => {
  for (const socket of flood) socket.destroy();
  await cli?.stop('SIGKILL').catch(() => undefined);
  await Promise.all([ats?.stop(), broker?.stop(), admin?.stop()]);
  await pki?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function profileFile(): Promise<string> {
  await writeFile(path.join(dir, 'ca.pem'), pki.ca.certPem);
  const profile = path.join(dir, 'profile.json');
  await writeFile(
    profile,
    JSON.stringify({
      name: 'nofile',
      serviceUrl: 'pulsar+ssl://pulsar.test:6651',
      proxyServiceUrl: `pulsar+ssl://${ats.address}`,
      proxyProtocol: 'SNI',
      webServiceUrl: 'https://broker1.test:8443',
      tlsTrustCertsFilePath: 'ca.pem',
      authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      authParams: `token:${token}`,
      pulsarProtocol: 'raw',
      listen: { port: 0, webPort: 0 },
    }),
  );
  return profile;
}

it('refuses and reports connections near the file limit, keeps Pulsar traffic flowing, and serves again once files are free', async () => {
  const prlimit = await ensureProgram({ binary: 'prlimit', debianPackage: 'util-linux', neededFor: 'the file-limit test (runs the CLI under a low RLIMIT_NOFILE)' });
  cli = startCli(['run', await profileFile(), '--log-format', 'json'], { wrapper: [prlimit, `--nofile=${fileLimit}`, '--'] });
  const ready = (await cli.waitForEvent((event) => event.event === 'ready', 20_000)) as { listen: { pulsar: string; http: string } };
  const [webHost, webPort] = splitAddress(ready.listen.http);

  // More stalled clients than the limit allows: each sends half a request head and waits.
  let endedByTunnel = 0;
  for (let index = 0; index < fileLimit; index++) {
    const socket = net.connect({ host: webHost, port: Number(webPort) });
    socket.on('error', () => undefined);
    socket.once('connect', () => socket.write('GET /admin/v2/clusters HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    socket.once('close', () => endedByTunnel++);
    socket.resume();
    flood.push(socket);
  }
  const reported = await cli.waitForEvent((event) => event.event === 'listener.error' && event.listener === 'http', 10_000);
  expect(reported.error.code).toBe('TUNNEL_FILE_LIMIT');
  expect(reported.error.message).toContain(`of its ${fileLimit} open files`);
  await eventually(() => endedByTunnel > 0 && flood.every((socket) => socket.readyState === 'open' || socket.destroyed || socket.readableEnded), { timeoutMs: 5_000, what: 'the flood to be settled' });
  const held = flood.filter((socket) => !socket.destroyed && !socket.readableEnded).length;
  expect(held).toBeGreaterThan(20);
  expect(held).toBeLessThan(fileLimit);

  // The Pulsar listener still has room: a connection goes through to the broker and back.
  const [pulsarHost, pulsarPort] = splitAddress(ready.listen.pulsar);
  const client = await connectLocal(pulsarHost, Number(pulsarPort));
  expect((await exchange(client, 'still flowing')).toString()).toBe('still flowing');

  // Once the stalled clients are gone the web listener serves again, with the token added.
  for (const socket of flood) socket.destroy();
  await eventually(
    async () => {
      const response = await fetch(`http://${ready.listen.http}/admin/v2/clusters`).catch(() => undefined);
      return response?.status === 200 && ((await response.json()) as string[])[0] === 'test';
    },
    { timeoutMs: 10_000, what: 'the web listener to serve again' },
  );
  expect((await cli.stop()).code).toBe(0);
  cli = undefined;
});

it('sees a limit lowered while it runs (prlimit --pid): Pulsar clients past it are closed and reported, none blamed on the proxy, and served again once others leave', async () => {
  const prlimit = await ensureProgram({ binary: 'prlimit', debianPackage: 'util-linux', neededFor: 'the file-limit test (lowers RLIMIT_NOFILE of the running CLI)' });
  const running = startCli(['run', await profileFile(), '--log-format', 'json']);
  cli = running;
  const ready = (await running.waitForEvent((event) => event.event === 'ready', 20_000)) as { listen: { pulsar: string } };
  const [host, port] = splitAddress(ready.listen.pulsar);
  const headroom = 60;
  const lowered = (await readdir(`/proc/${running.pid}/fd`)).length + headroom;
  await new Promise<void>((resolve, reject) => execFile(prlimit, [`--pid=${running.pid}`, `--nofile=${lowered}:`], (error) => (error ? reject(error) : resolve())));

  // Each served echo connection holds two descriptors in the tunnel (the client's and the broker's).
  const open = async (): Promise<{ socket: net.Socket; served: boolean }> => {
    const socket = await connectLocal(host, Number(port));
    socket.on('error', () => undefined);
    flood.push(socket);
    const answer = new Promise<boolean>((resolve) => {
      socket.once('data', () => resolve(true));
      socket.once('end', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
    socket.write('ping');
    return { socket, served: await answer };
  };
  const outcomes = [];
  for (let index = 0; index < headroom; index++) outcomes.push(await open());
  const served = outcomes.filter((outcome) => outcome.served).length;
  expect(served).toBeGreaterThan(headroom / 4);
  expect(served).toBeLessThan(headroom);
  const reported = await running.waitForEvent((event) => event.event === 'listener.error' && event.listener === 'pulsar', 5_000);
  expect(reported.error.code).toBe('TUNNEL_FILE_LIMIT');
  expect(reported.error.message).toContain(`of its ${lowered} open files`);
  const closedCodes = running.events.filter((event) => event.event === 'connection.closed' && event.error).map((event) => (event.error as { code: string }).code);
  expect(closedCodes.filter((code) => code.startsWith('PROXY_'))).toEqual([]);

  for (const socket of flood.splice(0)) socket.destroy();
  await eventually(async () => (await readdir(`/proc/${running.pid}/fd`)).length <= lowered - headroom + 5, { timeoutMs: 10_000, what: 'the descriptors to come back' });
  for (let index = 0; index < 10; index++) expect((await open()).served).toBe(true);
  expect((await running.stop()).code).toBe(0);
  cli = undefined;
});
