import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { exchange, startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

let pki: TestPki;
let backend: TlsBackend;
let tunnel: TestTunnel;

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: [], serverIps: ['127.0.0.1'] });
  backend = await startTlsBackend({ credential: pki.servers['127.0.0.1']!, behaviour: 'echo' });
});

afterAll(async () => {
  await tunnel?.dispose();
  await backend?.stop();
  await pki?.cleanup();
});

it('sends no SNI for an IP address (RFC 6066) and still verifies the certificate\'s IP SAN', async () => {
  // No proxy: the tunnel dials the service address itself.
  tunnel = await startTestTunnel(testConfig({ serviceHost: '127.0.0.1', servicePort: backend.port, caPem: pki.ca.certPem }));
  const client = await connectLocal(tunnel.host, tunnel.port);
  expect((await exchange(client, 'by address')).toString()).toBe('by address');
  const accepted = await backend.waitForAccepted(0);
  expect(accepted.servername).toBe(false);
  const opened = await tunnel.waitForEvent((event) => event.event === 'connection.opened');
  expect(opened).toMatchObject({ sni: '', proxy: `127.0.0.1:${backend.port}` });
});
