/**
 * At the open-file limit (the CLI under `prlimit --nofile=300`), 400 sockets that connect to the
 * Pulsar port, send nothing and reconnect as soon as they are closed must not lock real clients
 * out: as at the connection cap, the tunnel closes the oldest connection that has not sent a Pulsar
 * CONNECT to make room for the newcomer, so a real client gets in, proves itself with its CONNECT
 * and is served, and the evictions are reported (`listener.error` TUNNEL_FILE_LIMIT, and each evicted
 * connection's own `connection.closed`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { TestClientConnection } from '../fixtures/pulsarCluster/client.ts';
import { ensureProgram } from '../fixtures/systemPrograms.ts';
import { startClusterHarness, type ClusterHarness } from '../routing/clusterHarness.ts';
import { splitAddress } from '../tunnel/harness.ts';

const fileLimit = 300;
const idleSockets = 400;
let harness: ClusterHarness;
let dir: string;
let cli: CliProcess | undefined;
let flooding = true;
const flood = new Set<net.Socket>();

beforeAll(async () => {
  harness = await startClusterHarness();
  dir = await mkdtemp(path.join(tmpdir(), 'pt-nofile-idle-'));
});

afterAll(async () => {
  flooding = false;
  for (const socket of flood) socket.destroy();
  await cli?.stop('SIGKILL').catch(() => undefined);
  await harness?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('closes the oldest idle connection at the file limit so that real clients are served', async () => {
  const prlimit = await ensureProgram({ binary: 'prlimit', debianPackage: 'util-linux', neededFor: 'the file-limit test (runs the CLI under a low RLIMIT_NOFILE)' });
  await writeFile(path.join(dir, 'ca.pem'), harness.pki.ca.certPem);
  const profile = path.join(dir, 'profile.json');
  await writeFile(profile, JSON.stringify({ name: 'idle-flood', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: `pulsar+ssl://${harness.ats.address}`, tlsTrustCertsFilePath: 'ca.pem', listen: { port: 0 } }));
  cli = startCli(['run', profile, '--log-format', 'json'], { wrapper: [prlimit, `--nofile=${fileLimit}:${fileLimit}`, '--'] });
  const ready = (await cli.waitForEvent((event) => event.event === 'ready', 20_000)) as { listen: { pulsar: string } };
  const [host, port] = splitAddress(ready.listen.pulsar);

  // The attacker: idle sockets, each replaced (after a short pause, as a reconnecting client does) when closed.
  const idle = (): void => {
    if (!flooding) return;
    const socket = net.connect({ host, port: Number(port) });
    flood.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      flood.delete(socket);
      setTimeout(idle, 20);
    });
  };
  for (let index = 0; index < idleSockets; index++) idle();
  // The flood has reached the limit once the tunnel says so.
  await cli.waitForEvent((event) => event.event === 'listener.error' && event.error.code === 'TUNNEL_FILE_LIMIT', 15_000);

  let served = 0;
  for (let index = 0; index < 10; index++) {
    const client = await TestClientConnection.open({ host, port: Number(port), timeoutMs: 5_000 });
    try {
      await client.connect();
      served++;
    } catch {
      // counted as not served
    } finally {
      client.destroy();
    }
  }
  expect(served).toBe(10);
  const evictions = cli.events.filter((event) => event.event === 'listener.error' && /closed to make room for newer ones/.test(String((event.error as { message: string }).message)));
  expect(evictions.length).toBeGreaterThan(0);
  // Each connection closed to make room says why on its own connection.closed.
  expect(cli.events.some((event) => event.event === 'connection.closed' && (event.error as { code?: string } | undefined)?.code === 'TUNNEL_FILE_LIMIT')).toBe(true);
  flooding = false;
  for (const socket of flood) socket.destroy();
  expect((await cli.stop()).code).toBe(0);
  cli = undefined;
}, 90_000);
