/**
 * The web listener adds the profile's credential to requests, so a web page must not be able to use
 * it: a cross-site request (CSRF) and a request for a rebound host name (DNS rebinding) are refused
 * before anything reaches the cluster, while local tools (no Origin) are served.
 */
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAdminCluster, type AdminCluster } from '../fixtures/adminServer.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { startTestTunnel, splitAddress, testConfig, type TestTunnel } from '../tunnel/harness.ts';

const token = 'browser-must-not-use-this';
let pki: TestPki;
let admin: AdminCluster;
let ats: SniRouter;
let tunnel: TestTunnel;
let host: string;
let port: number;

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['broker1.test'] });
  admin = await startAdminCluster({ pki, brokers: ['broker1.test'], token });
  ats = await startAts({ routes: admin.sniRoutes() });
  tunnel = await startTestTunnel(
    testConfig({
      serviceHost: 'broker1.test',
      router: ats,
      caPem: pki.ca.certPem,
      overrides: { web: { host: 'broker1.test', port: 8443 }, listen: { host: '127.0.0.1', port: 0, webPort: 0 }, auth: { kind: 'token', getToken: async () => token } },
    }),
  );
  [host, port] = ((address) => [address[0], Number(address[1])])(splitAddress(tunnel.tunnel.addresses.http!)) as [string, number];
});

afterAll(async () => {
  await tunnel?.dispose();
  await ats?.stop();
  await admin?.stop();
  await pki?.cleanup();
});

/** A raw request with exactly the headers given (fetch would not let a test set Host or Origin). */
function request(method: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host, port, method, path: '/admin/v2/clusters', headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end(method === 'POST' ? 'x=1' : undefined);
  });
}

it('serves a local tool (no Origin) with the token added', async () => {
  const before = admin.requests.length;
  expect((await request('GET', { host: `127.0.0.1:${port}` })).status).toBe(200);
  expect(admin.requests.length).toBe(before + 1);
});

// The listener's port is known only once it runs, so each case builds its headers from it.
const refused: [string, string, (port: number) => Record<string, string>][] = [
  ['a form post from another site', 'POST', (listenPort) => ({ host: `127.0.0.1:${listenPort}`, origin: 'https://evil.example', 'content-type': 'text/plain' })],
  ['a fetch marked cross-site', 'GET', (listenPort) => ({ host: `localhost:${listenPort}`, 'sec-fetch-site': 'cross-site' })],
  ['a rebound host name', 'GET', (listenPort) => ({ host: `evil.example:${listenPort}` })],
];

it.each(refused)('refuses %s with 403 and never reaches the cluster', async (_name, method, headers) => {
  const before = admin.requests.length;
  const answer = await request(method, headers(port));
  expect(answer.status).toBe(403);
  expect(JSON.parse(answer.body)).toMatchObject({ code: 'HTTP_REQUEST_REFUSED' });
  expect(admin.requests.length).toBe(before);
  const logged = tunnel.events.filter((event) => event.event === 'http.request').at(-1);
  expect(logged).toMatchObject({ status: 403, error: { code: 'HTTP_REQUEST_REFUSED' } });
});
