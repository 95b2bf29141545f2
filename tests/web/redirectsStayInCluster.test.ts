/**
 * Without a proxy nothing but the tunnel keeps a followed redirect inside the cluster, and it
 * carries the profile's token. So, in direct mode, a redirect is followed only to addresses, host and
 * port, the cluster has named (the web and service addresses, brokers named in lookup answers), and a client's own
 * Authorization or Cookie is never carried to another host. The web service here is our admin
 * server on `localhost`; the "other host" is a second one on 127.0.0.2, reached directly.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAdminCluster, type AdminCluster } from '../fixtures/adminServer.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startTestTunnel, testConfig, type TestTunnel } from '../tunnel/harness.ts';

const token = 'direct-mode-token';
const other = '127.0.0.2';
let pki: TestPki;
let admin: AdminCluster;
let otherUrl: string;
/** A second HTTPS service on the web host, another port: another program, not the cluster. */
let otherService: AdminCluster;
const tunnels: TestTunnel[] = [];

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['localhost'], serverIps: [other] });
  admin = await startAdminCluster({ pki, brokers: ['localhost', other], token, owners: { 't/ns/far': other }, advertiseListeningPorts: true });
  otherUrl = `https://${admin.sniRoutes().find((route) => route.fqdn === other)!.target}/admin/v2/clusters`;
  otherService = await startAdminCluster({ pki, brokers: ['localhost'], token: 'not-the-cluster' });
});

afterAll(async () => {
  await Promise.all(tunnels.map((tunnel) => tunnel.dispose()));
  await admin?.stop();
  await otherService?.stop();
  await pki?.cleanup();
});

/** A tunnel with no proxy whose web service is the admin server on localhost. */
async function directTunnel(): Promise<string> {
  const [, port] = admin.sniRoutes().find((route) => route.fqdn === 'localhost')!.target.split(':') as [string, string];
  const tunnel = await startTestTunnel(
    testConfig({
      serviceHost: 'localhost',
      caPem: pki.ca.certPem,
      overrides: { proxy: undefined, web: { host: 'localhost', port: Number(port) }, listen: { host: '127.0.0.1', port: 0, webPort: 0 }, auth: { kind: 'token', getToken: async () => token } },
    }),
  );
  tunnels.push(tunnel);
  return `http://${tunnel.tunnel.addresses.http!}`;
}

const reachedOther = () => admin.requests.filter((request) => request.broker === other);

it('does not follow a redirect to a host the cluster never named, and sends that host nothing', async () => {
  const base = await directTunnel();
  const before = reachedOther().length;
  const response = await fetch(`${base}/admin/v2/test/redirect?to=${encodeURIComponent(otherUrl)}`);
  expect(response.status).toBe(502);
  const error = (await response.json()) as { code: string; message: string };
  expect(error.code).toBe('HTTP_REDIRECT_REFUSED');
  expect(error.message).toContain(`${other}:${otherUrl.split(':')[2]!.split('/')[0]!} is not an address of this cluster`);
  expect(reachedOther().length).toBe(before);
});

it('follows a redirect to a broker the cluster named in a lookup answer, with the profile token', async () => {
  const base = await directTunnel();
  expect((await fetch(`${base}/lookup/v2/topic/persistent/t/ns/far`)).status).toBe(200);
  const response = await fetch(`${base}/admin/v2/test/redirect?to=${encodeURIComponent(otherUrl)}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('x-served-by')).toBe(other);
  expect(reachedOther().at(-1)).toMatchObject({ url: '/admin/v2/clusters', authorization: `Bearer ${token}` });
});

it("refuses to carry a client's own Authorization to another host of the cluster, saying what to do", async () => {
  const base = await directTunnel();
  await fetch(`${base}/lookup/v2/topic/persistent/t/ns/far`);
  const before = reachedOther().length;
  const response = await fetch(`${base}/admin/v2/test/redirect?to=${encodeURIComponent(otherUrl)}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(502);
  const error = (await response.json()) as { code: string; message: string };
  expect(error.code).toBe('HTTP_REDIRECT_REFUSED');
  expect(error.message).toContain('your own Authorization header');
  expect(reachedOther().length).toBe(before);
});

it("drops a client's Cookie on the way to another host and sends the profile token there", async () => {
  const base = await directTunnel();
  await fetch(`${base}/lookup/v2/topic/persistent/t/ns/far`);
  const response = await fetch(`${base}/admin/v2/test/redirect?to=${encodeURIComponent(otherUrl)}`, { headers: { cookie: 'session=client-secret' } });
  expect(response.status).toBe(200);
  const first = admin.requests.filter((request) => request.url.startsWith('/admin/v2/test/redirect')).at(-1);
  expect(first).toMatchObject({ broker: 'localhost', cookie: 'session=client-secret' });
  expect(reachedOther().at(-1)).toMatchObject({ authorization: `Bearer ${token}`, cookie: undefined });
});

it('does not follow a redirect to another port of the web host, and sends that port nothing', async () => {
  const base = await directTunnel();
  const otherPort = otherService.sniRoutes()[0]!.target.split(':')[1]!;
  const response = await fetch(`${base}/admin/v2/test/redirect?to=${encodeURIComponent(`https://localhost:${otherPort}/collect`)}`);
  expect(response.status).toBe(502);
  const error = (await response.json()) as { code: string; message: string };
  expect(error.code).toBe('HTTP_REDIRECT_REFUSED');
  expect(error.message).toContain(`localhost:${otherPort} is not an address of this cluster`);
  expect(otherService.requests).toEqual([]);
});
