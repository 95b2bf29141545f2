/**
 * A Pulsar broker's web service takes X-Original-Principal (and, when configured to, X-Forwarded-For
 * and its kin) as the real caller from a connection authenticated as one of its proxy roles. The web
 * listener adds the profile's credential, so a local client's copies of these headers must not reach
 * the cluster beside it: with a profile whose token is a proxy role, any local process could act as
 * any role.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAdminCluster, type AdminCluster } from '../fixtures/adminServer.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { startTestTunnel, testConfig, type TestTunnel } from '../tunnel/harness.ts';

const token = 'proxy-role-token';
let pki: TestPki;
let admin: AdminCluster;
let ats: SniRouter;
let tunnel: TestTunnel;

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
});

afterAll(async () => {
  await tunnel?.dispose();
  await ats?.stop();
  await admin?.stop();
  await pki?.cleanup();
});

it('drops X-Original-Principal and the forwarding headers a client sends, and adds the token', async () => {
  const response = await fetch(`http://${tunnel.tunnel.addresses.http!}/admin/v2/clusters`, {
    headers: { 'x-original-principal': 'superuser', 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https', forwarded: 'for=10.0.0.1', 'x-real-ip': '10.0.0.1', 'x-kept': 'yes' },
  });
  expect(response.status).toBe(200);
  expect(admin.requests.at(-1)).toMatchObject({ url: '/admin/v2/clusters', authorization: `Bearer ${token}`, proxyTrustHeaders: [] });
});
