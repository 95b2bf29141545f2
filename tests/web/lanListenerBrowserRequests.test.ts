/**
 * On a web listener that serves other machines (listen.host 0.0.0.0), browsers send no Fetch
 * Metadata to an http:// LAN address and a page can strip Referer, so the loopback listener's
 * browser marks are missing. Two refusals hold there: a Host that is not an IP address, this
 * machine's name or listen.host (DNS rebinding, the case where a page could read the answers), and
 * an Accept header asking for HTML or an image (navigations, links, <img>, <iframe>). Local tools
 * (curl's Accept: *\/*, pulsar-admin's JSON) are served by IP address.
 */
import http from 'node:http';
import { hostname } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAdminCluster, type AdminCluster } from '../fixtures/adminServer.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startTestTunnel, splitAddress, testConfig, type TestTunnel } from '../tunnel/harness.ts';

const token = 'lan-page-must-not-use-this';
let pki: TestPki;
let admin: AdminCluster;
let tunnel: TestTunnel;
let port: number;

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['localhost'] });
  admin = await startAdminCluster({ pki, brokers: ['localhost'], token });
  const adminPort = Number(admin.sniRoutes().find((route) => route.fqdn === 'localhost')!.target.split(':').at(-1));
  tunnel = await startTestTunnel(
    testConfig({
      serviceHost: 'localhost',
      caPem: pki.ca.certPem,
      overrides: { proxy: undefined, web: { host: 'localhost', port: adminPort }, listen: { host: '0.0.0.0', port: 0, webPort: 0 }, auth: { kind: 'token', getToken: async () => token } },
    }),
  );
  port = Number(splitAddress(tunnel.tunnel.addresses.http!)[1]);
});

afterAll(async () => {
  await tunnel?.dispose();
  await admin?.stop();
  await pki?.cleanup();
});

/** A GET to the listener (reached on 127.0.0.1) with exactly these headers. */
function get(headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host: '127.0.0.1', port, method: 'GET', path: '/admin/v2/clusters', headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

it.each([
  ['curl by LAN address', { host: '192.0.2.2', accept: '*/*', 'user-agent': 'curl/8.5.0' }],
  ['pulsar-admin by LAN address', { host: '192.0.2.2', accept: 'application/json' }],
  ['a tool by IPv6 address', { host: '[2001:db8::2]' }],
  ["a tool by this machine's host name", { host: hostname(), accept: '*/*' }],
] as const)('serves %s', async (_name, headers) => {
  const before = admin.requests.length;
  const answer = await get({ ...headers, host: `${headers.host}:${port}` });
  expect(answer.status).toBe(200);
  expect(admin.requests.length).toBe(before + 1);
});

it.each([
  ['a rebound page name (DNS rebinding)', { host: 'attacker.test', accept: '*/*' }],
  ['an <img> by LAN address, Referer stripped', { host: '192.0.2.2', accept: 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', 'user-agent': 'Mozilla/5.0' }],
  ['a navigation or <iframe> by LAN address', { host: '192.0.2.2', accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'user-agent': 'Mozilla/5.0' }],
] as const)('refuses %s with 403 HTTP_REQUEST_REFUSED and never reaches the cluster', async (_name, headers) => {
  const before = admin.requests.length;
  const answer = await get({ ...headers, host: `${headers.host}:${port}` });
  expect(answer.status).toBe(403);
  expect(answer.body).toContain('HTTP_REQUEST_REFUSED');
  expect(admin.requests.length).toBe(before);
});
