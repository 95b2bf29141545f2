/**
 * A request body goes to a broker only once the broker asks for it (`Expect: 100-continue`): a
 * broker that redirects without reading the body (as Pulsar's may) is never sent it, so it never
 * closes on unread bytes, whose TCP reset could overtake its 307 through the proxy and turn the
 * redirect into a 502 (seen under load before the tunnel waited). A broker that never says
 * `100 Continue` still gets the body, after a short wait.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminCluster, type AdminCluster } from '../fixtures/adminServer.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { startTestTunnel, testConfig, type TestTunnel } from '../tunnel/harness.ts';

const token = 'test-admin-token';
// broker1 redirects t/ns/two to broker2 without reading the body; broker2 never says 100 Continue.
const owners = { 't/ns/one': 'broker1.test', 't/ns/two': 'broker2.test' };

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('a request body and the broker that asks for it', () => {
  let pki: TestPki;
  let admin: AdminCluster;
  let ats: SniRouter;
  const tunnels: TestTunnel[] = [];

  async function webBase(host: string): Promise<string> {
    const started = await startTestTunnel(
      testConfig({
        serviceHost: host,
        router: ats,
        caPem: pki.ca.certPem,
        overrides: { web: { host, port: 8443 }, listen: { host: '127.0.0.1', port: 0, webPort: 0 }, auth: { kind: 'token', getToken: () => Promise.resolve(token) } },
      }),
    );
    tunnels.push(started);
    return `http://${started.tunnel.addresses.http!}`;
  }

  beforeAll(async () => {
    pki = await createTestPki({ serverHosts: ['broker1.test', 'broker2.test'] });
    admin = await startAdminCluster({ pki, brokers: ['broker1.test', 'broker2.test'], token, owners, ignoreExpectContinue: ['broker2.test'] });
    ats = await startAts({ routes: admin.sniRoutes() });
  });

  afterAll(async () => {
    await Promise.all(tunnels.map((test) => test.dispose()));
    await ats?.stop();
    await admin?.stop();
    await pki?.cleanup();
  });

  it('asks before sending: the broker that redirects is not sent the body, and the owner gets it whole', async () => {
    const base = await webBase('broker1.test');
    const body = randomBytes(256 * 1024);
    const before = admin.requests.length;
    const response = await fetch(`${base}/admin/v2/persistent/t/ns/two/echo`, { method: 'PUT', body });
    expect(response.status).toBe(200);
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(body));
    // broker2 never says 100 Continue: the replayed body went after the wait.
    const [redirecting, owner] = admin.requests.slice(before);
    expect(redirecting).toMatchObject({ broker: 'broker1.test', expect: '100-continue' });
    expect(owner).toMatchObject({ broker: 'broker2.test', expect: '100-continue' });
  });

  it('answers 413 for every redirected body over the replay bound, never a 502 from a reset', async () => {
    const base = await webBase('broker1.test');
    const body = randomBytes(1024 * 1024 + 4096);
    const statuses = await Promise.all(Array.from({ length: 8 }, () => fetch(`${base}/admin/v2/persistent/t/ns/two/echo`, { method: 'PUT', body }).then(async (response) => `${response.status} ${((await response.json()) as { code?: string }).code}`)));
    expect(statuses).toEqual(Array.from({ length: 8 }, () => '413 HTTP_REDIRECT_BODY_TOO_LARGE'));
  });

  it('sends the body all the same, after a short wait, to a broker that never says 100 Continue', async () => {
    const direct = await webBase('broker2.test');
    const body = randomBytes(64 * 1024);
    const streamed = await fetch(`${direct}/admin/v2/persistent/t/ns/two/echo`, { method: 'POST', body });
    expect(streamed.status).toBe(200);
    expect(sha256(Buffer.from(await streamed.arrayBuffer()))).toBe(sha256(body));
    expect(admin.requests.at(-1)).toMatchObject({ broker: 'broker2.test', expect: '100-continue' });
  });
});
