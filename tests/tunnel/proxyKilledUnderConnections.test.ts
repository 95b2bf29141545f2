/**
 * A proxy that dies under open connections closes them with a TCP FIN and no TLS close_notify
 * (the kernel closes a killed process's sockets), which Node reports like a clean close. Through a
 * real ATS, SIGKILLed under an idle tunnelled connection and a bulk download: each local client is
 * closed, after every byte that arrived, and each connection.closed carries PROXY_CONNECTION_LOST;
 * a Pulsar client whose CONNECT was not answered yet gets an ERROR saying so. A broker that closes
 * on purpose (close_notify) still closes with no error.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { killGroup } from '../fixtures/processGroups.ts';
import { PulsarServerError, TestClientConnection } from '../fixtures/pulsarCluster/client.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal, openedId, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

let pki: TestPki;
let echo: TlsBackend;
let bulk: TlsBackend;
let silent: TlsBackend;
const routers: SniRouter[] = [];
const tunnels: TestTunnel[] = [];

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['echo.test', 'bulk.test', 'silent.test'] });
  // Echoes; on "bye" answers and closes its side itself (a TLS close: close_notify, then FIN).
  echo = await startTlsBackend({
    credential: pki.servers['echo.test']!,
    behaviour: (socket: tls.TLSSocket) =>
      socket.on('data', (chunk: Buffer) => {
        if (chunk.toString() === 'bye') socket.end('bye');
        else socket.write(chunk);
      }),
  });
  // A download far longer than the test.
  bulk = await startTlsBackend({ credential: pki.servers['bulk.test']!, behaviour: { source: 2 ** 40 } });
  // A broker that reads and never answers (a Pulsar CONNECT stays unanswered).
  silent = await startTlsBackend({ credential: pki.servers['silent.test']!, behaviour: (socket) => socket.resume() });
});

afterAll(async () => {
  await Promise.all(tunnels.map((tunnel) => tunnel.dispose()));
  await Promise.all(routers.map((router) => router.stop({ graceMs: 0 })));
  await Promise.all([echo?.stop(), bulk?.stop(), silent?.stop()]);
  await pki?.cleanup();
});

/** An ATS of its own for each test (the first one kills it). */
async function startRouter(idleTimeoutSeconds?: number): Promise<SniRouter> {
  const router = await startAts({
    idleTimeoutSeconds,
    routes: [
      { fqdn: 'echo.test', target: echo.address },
      { fqdn: 'bulk.test', target: bulk.address },
      { fqdn: 'silent.test', target: silent.address },
    ],
  });
  routers.push(router);
  return router;
}

async function tunnelTo(host: string, ats: SniRouter, pulsarProtocol: 'raw' | 'inspect' = 'raw'): Promise<TestTunnel> {
  const tunnel = await startTestTunnel(testConfig({ serviceHost: host, router: ats, caPem: pki.ca.certPem, overrides: { pulsarProtocol } }));
  tunnels.push(tunnel);
  return tunnel;
}

/** Counts what the client receives, and resolves when the tunnel closes its side (the client then closes too). */
function watch(client: net.Socket): { received: () => number; ended: Promise<void> } {
  let received = 0;
  client.on('data', (chunk: Buffer) => (received += chunk.length));
  client.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => {
    client.once('end', () => {
      client.end();
      resolve();
    });
    client.once('close', () => resolve());
  });
  return { received: () => received, ended };
}

it('closes with PROXY_CONNECTION_LOST an idle connection and a download when the proxy is killed', async () => {
  const ats = await startRouter();
  const idleTunnel = await tunnelTo('echo.test', ats);
  const bulkTunnel = await tunnelTo('bulk.test', ats);
  const idle = await connectLocal(idleTunnel.host, idleTunnel.port);
  const idleWatch = watch(idle);
  idle.write('ping');
  await eventually(() => idleWatch.received() === 4 || undefined, { timeoutMs: 5_000, what: 'the echo of ping' });
  const download = await connectLocal(bulkTunnel.host, bulkTunnel.port);
  const downloadWatch = watch(download);
  await eventually(() => downloadWatch.received() >= 1024 * 1024 || undefined, { timeoutMs: 10_000, what: 'the download to be under way' });

  killGroup(ats.pid, 'SIGKILL');
  await withDeadline(Promise.all([idleWatch.ended, downloadWatch.ended]), 5_000, 'both local clients to be closed');

  for (const [tunnel, watched] of [
    [idleTunnel, idleWatch],
    [bulkTunnel, downloadWatch],
  ] as const) {
    const closed = await tunnel.closed(await openedId(tunnel, 1), 5_000);
    expect(closed.error?.code).toBe('PROXY_CONNECTION_LOST');
    expect(closed.error?.message).toMatch(/without a TLS close/);
    // Every byte the tunnel wrote reached the client before the close.
    expect(watched.received()).toBe(closed.bytesDown);
  }
});

it("closes a broker's own TLS close (close_notify) with no error", async () => {
  const tunnel = await tunnelTo('echo.test', await startRouter());
  const client = await connectLocal(tunnel.host, tunnel.port);
  const watched = watch(client);
  client.write('ping');
  await eventually(() => watched.received() === 4 || undefined, { timeoutMs: 5_000, what: 'the echo of ping' });
  const reply = once<Buffer>(client, 'data', 5_000);
  client.write('bye');
  expect((await reply).toString()).toBe('bye');
  await withDeadline(watched.ended, 5_000, 'the broker to close');
  const closed = await tunnel.closed(await openedId(tunnel, 1), 5_000);
  expect(closed.error).toBeUndefined();
  expect(closed.bytesDown).toBe(7);
});

it('tells a Pulsar client whose CONNECT is unanswered with an ERROR when the proxy is killed', async () => {
  const ats = await startRouter();
  const tunnel = await tunnelTo('silent.test', ats, 'inspect');
  const client = await TestClientConnection.open({ host: tunnel.host, port: tunnel.port });
  try {
    const refusal = client.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    await tunnel.waitForEvent((event) => event.event === 'connection.secured');
    await eventually(() => silent.accepted.at(-1)?.bytesIn || undefined, { timeoutMs: 5_000, what: 'the CONNECT to reach the broker' });
    killGroup(ats.pid, 'SIGKILL');
    const error = await withDeadline(refusal, 5_000, 'the answer to CONNECT');
    expect(error).toBeInstanceOf(PulsarServerError);
    expect((error as PulsarServerError).message).toMatch(/pulsar-tunnel PROXY_CONNECTION_LOST: .*without a TLS close/);
    const closed = await tunnel.closed(await openedId(tunnel, 1), 5_000);
    expect(closed.error?.code).toBe('PROXY_CONNECTION_LOST');
  } finally {
    client.destroy();
  }
});

it('closes with PROXY_CONNECTION_LOST, naming the idle timeout, a connection the proxy timed out', async () => {
  const tunnel = await tunnelTo('echo.test', await startRouter(1));
  const client = await connectLocal(tunnel.host, tunnel.port);
  const watched = watch(client);
  client.write('ping');
  await eventually(() => watched.received() === 4 || undefined, { timeoutMs: 5_000, what: 'the echo of ping' });
  await withDeadline(watched.ended, 10_000, "ATS's idle timeout to close the connection");
  const closed = await tunnel.closed(await openedId(tunnel, 1), 5_000);
  expect(closed.error?.code).toBe('PROXY_CONNECTION_LOST');
  expect(closed.error?.message).toMatch(/idle/);
});
