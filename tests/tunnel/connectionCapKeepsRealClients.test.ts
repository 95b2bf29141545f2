/**
 * A listener at its connection cap never closes a connection that has shown it is a real client (in
 * raw mode: it has sent a byte) to make room: when every open connection is in use, the newcomer is
 * the one closed, and reported as refused.
 */
import type net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ListenerFullEvent, TunnelEvent } from '../../shared/model/events.ts';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

let pki: TestPki;
let backend: TlsBackend;
let tunnel: TestTunnel;
const clients: net.Socket[] = [];
const cap = 2;

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['broker.test'] });
  backend = await startTlsBackend({ credential: pki.servers['broker.test']!, behaviour: 'echo' });
  tunnel = await startTestTunnel(testConfig({ serviceHost: '127.0.0.1', servicePort: backend.port, overrides: { tls: { caPem: pki.ca.certPem, verifyHostname: false, allowInsecure: false } } }), {
    limits: { maxPulsarConnections: cap },
  });
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await tunnel?.dispose();
  await backend?.stop();
  await pki?.cleanup();
});

async function open(): Promise<net.Socket> {
  const client = await connectLocal(tunnel.host, tunnel.port);
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

it('keeps connections in use and closes the newcomer when every open one is in use', async () => {
  const inUse = [];
  for (let index = 0; index < cap; index++) {
    const client = await open();
    client.write('ping');
    await once(client, 'data', 5_000);
    inUse.push(client);
  }
  const newcomer = await open();
  await withDeadline(
    new Promise<void>((resolve) => {
      newcomer.once('end', () => resolve());
      newcomer.once('close', () => resolve());
      newcomer.resume();
    }),
    5_000,
    'the newcomer to be closed',
  );
  const full = await tunnel.waitForEvent((event: TunnelEvent): event is ListenerFullEvent => event.event === 'listener.full', 5_000);
  expect(full).toMatchObject({ listener: 'pulsar', limit: cap, refused: 1, evicted: 0, error: { code: 'TUNNEL_CONNECTION_LIMIT' } });
  // The clients in use still work.
  for (const client of inUse) {
    client.write('again');
    await once(client, 'data', 5_000);
  }
  expect(tunnel.tunnel.status().openConnections).toBe(cap);
  for (const client of inUse) client.destroy();
  await eventually(() => tunnel.tunnel.status().openConnections === 0 || undefined, { timeoutMs: 5_000, what: 'all connections to close' });
});
