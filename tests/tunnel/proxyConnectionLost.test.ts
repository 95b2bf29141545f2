/**
 * The broker's side of an established connection breaking (the proxy killed, a reset) is reported
 * on the connection's close with PROXY_CONNECTION_LOST, and the local client is closed at once; the
 * local client hanging up stays routine (no error).
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { once, withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal, openedId, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

let pki: TestPki;
let backend: TlsBackend;
let tunnel: TestTunnel;

/** The TCP socket under a server-side TLS socket (a reset must bypass TLS, as a dying proxy does). */
const rawOf = (socket: tls.TLSSocket) => (socket as unknown as { _parent: net.Socket })._parent;

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['broker.test'] });
  // Answers the first bytes, then on "reset" drops the TCP connection with an RST (no close_notify).
  backend = await startTlsBackend({
    credential: pki.servers['broker.test']!,
    behaviour: (socket) =>
      socket.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('reset')) rawOf(socket).resetAndDestroy();
        else socket.write(chunk);
      }),
  });
  tunnel = await startTestTunnel(testConfig({ serviceHost: '127.0.0.1', servicePort: backend.port, overrides: { tls: { caPem: pki.ca.certPem, verifyHostname: false, allowInsecure: false } } }));
});

afterAll(async () => {
  await tunnel?.dispose();
  await backend?.stop();
  await pki?.cleanup();
});

it('reports a reset from the broker side as PROXY_CONNECTION_LOST and closes the local client', async () => {
  const client = await connectLocal(tunnel.host, tunnel.port);
  client.on('error', () => undefined);
  const id = await openedId(tunnel, 1);
  client.write('ping');
  await once(client, 'data', 5_000);
  // The client allows half-open connections: the tunnel closing its side shows as 'end'.
  const clientClosed = new Promise<void>((resolve) => {
    client.once('end', resolve);
    client.once('close', resolve);
  });
  client.write('reset');
  const closed = await tunnel.closed(id, 5_000);
  expect(closed.error?.code).toBe('PROXY_CONNECTION_LOST');
  expect(closed.error?.message).toMatch(/check that the proxy is running/);
  await withDeadline(clientClosed, 1_000, 'the local client to be closed');
});

it('keeps a local client hanging up (reset) routine', async () => {
  const client = await connectLocal(tunnel.host, tunnel.port);
  const id = await openedId(tunnel, 2);
  client.write('ping');
  await once(client, 'data', 5_000);
  client.resetAndDestroy();
  const closed = await tunnel.closed(id, 5_000);
  expect(closed.error).toBeUndefined();
});
