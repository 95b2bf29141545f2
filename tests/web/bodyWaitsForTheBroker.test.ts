/**
 * A request body goes to a broker only once the broker asks for it (`Expect: 100-continue`): a
 * broker that redirects without reading the body (as Pulsar's may) is never sent it, so it never
 * closes on unread bytes, whose TCP reset could overtake its 307 through the proxy and turn the
 * redirect into a 502 (seen under load before the tunnel waited). A broker that never says
 * `100 Continue` still gets the body, after a short wait.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminCluster, type AdminCluster } from '../fixtures/adminServer.ts';
import { eventually } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { startTestTunnel, testConfig, type TestTunnel } from '../tunnel/harness.ts';

const token = 'test-admin-token';
// broker1 redirects t/ns/two to broker2 without reading the body; broker2 never says 100 Continue;
// broker3 answers 417 Expectation Failed to a request that carries the expectation.
const owners = { 't/ns/one': 'broker1.test', 't/ns/two': 'broker2.test', 't/ns/three': 'broker3.test' };

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
    pki = await createTestPki({ serverHosts: ['broker1.test', 'broker2.test', 'broker3.test'] });
    admin = await startAdminCluster({ pki, brokers: ['broker1.test', 'broker2.test', 'broker3.test'], token, owners, ignoreExpectContinue: ['broker2.test'], refuseExpectContinue: ['broker3.test'] });
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

  it('sends the body without the expectation to a broker that answers 417 Expectation Failed, directly and after a redirect (RFC 9110 10.1.1)', async () => {
    const body = randomBytes(32 * 1024);
    for (const base of [await webBase('broker3.test'), await webBase('broker1.test')]) {
      const before = admin.requests.length;
      const response = await fetch(`${base}/admin/v2/persistent/t/ns/three/echo`, { method: 'PUT', body });
      expect(response.status).toBe(200);
      expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(body));
      const owner = admin.requests.slice(before).filter((request) => request.broker === 'broker3.test');
      expect(owner.map((request) => request.expect ?? 'none')).toEqual(['100-continue', 'none']);
    }
  });

  it('gives up the request upstream at once when the local client leaves while the tunnel waits for 100 Continue', async () => {
    await webBase('broker2.test');
    const test = tunnels.at(-1)!;
    const [host, port] = test.tunnel.addresses.http!.split(':') as [string, string];
    const before = admin.requests.length;
    const client = net.connect(Number(port), host);
    client.on('error', () => undefined);
    client.write(`PUT /admin/v2/persistent/t/ns/two/echo HTTP/1.1\r\nhost: ${host}:${port}\r\ncontent-length: 100000\r\n\r\n${'x'.repeat(1000)}`);
    // broker2 never says 100 Continue: the tunnel waits (1 s) with the head sent and no body.
    await eventually(() => admin.requests.length > before || undefined, { timeoutMs: 10_000, what: 'the request head at broker2' });
    client.destroy();
    // The request ends (status 0: the client left) instead of hanging on a body that never comes.
    const ended = await test.waitForEvent((event) => event.event === 'http.request' && event.method === 'PUT', 3_000);
    expect(ended).toMatchObject({ status: 0 });
  });
});
