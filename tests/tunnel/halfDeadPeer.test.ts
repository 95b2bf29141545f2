/**
 * A peer left half-dead (the client sent FIN, the broker never closes its side) is reaped after the
 * close timeout, on both sides, instead of holding the connection forever.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal, openedId, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

let pki: TestPki;
let stubborn: TlsBackend;
let tunnel: TestTunnel;

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['stubborn.test'] });
  // Reads everything and never ends its side, even after the client's FIN.
  stubborn = await startTlsBackend({ credential: pki.servers['stubborn.test']!, behaviour: (socket) => socket.resume() });
});

afterAll(async () => {
  await tunnel?.dispose();
  await stubborn?.stop();
  await pki?.cleanup();
});

it('closes both sides once the close timeout passes after the first FIN', async () => {
  tunnel = await startTestTunnel(testConfig({ serviceHost: '127.0.0.1', servicePort: stubborn.port, overrides: { tls: { caPem: pki.ca.certPem, verifyHostname: false, allowInsecure: false } } }), { closeTimeoutMs: 300 });
  const client = await connectLocal(tunnel.host, tunnel.port);
  const clientSeesEnd = new Promise<void>((resolve) => client.once('end', () => resolve()));
  client.resume();
  client.end('bye');
  const closed = await tunnel.closed(await openedId(tunnel, 1), 5_000);
  expect(closed.durationMs).toBeGreaterThanOrEqual(250);
  expect(closed.error).toBeUndefined();
  // The client's FIN reached the broker at once (half-close), and the tunnel then ended the local
  // side itself when the broker stayed silent.
  const accepted = await stubborn.waitForAccepted(0);
  expect(accepted.endSeen).toBe(true);
  await withDeadline(clientSeesEnd, 5_000, 'the local client to see the tunnel close');
  expect(tunnel.tunnel.status().openConnections).toBe(0);
});
