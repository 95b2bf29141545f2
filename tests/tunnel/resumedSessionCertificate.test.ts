/**
 * A connection that resumes an earlier TLS session (no certificate in its handshake) still logs the
 * broker's certificate: the one verified by the full handshake that began the session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { exchange, startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal, openedId, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

let pki: TestPki;
let ats: SniRouter;
const backends: Record<string, TlsBackend> = {};
/** Per broker host, whether each accepted connection resumed a session (read while it is open). */
const resumed: Record<string, boolean[]> = {};
const tunnels: TestTunnel[] = [];

const versions = [
  { version: 'TLSv1.3', host: 'broker13.test' },
  { version: 'TLSv1.2', host: 'broker12.test' },
] as const;

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: versions.map(({ host }) => host) });
  for (const { version, host } of versions) {
    backends[host] = await startTlsBackend({ credential: pki.servers[host]!, behaviour: 'echo', tlsOptions: { minVersion: version, maxVersion: version } });
    resumed[host] = [];
    backends[host].onAccepted((connection) => resumed[host]!.push(connection.socket.isSessionReused()));
  }
  ats = await startAts({ routes: versions.map(({ host }) => ({ fqdn: host, target: backends[host]!.address })) });
});

afterAll(async () => {
  await Promise.all(tunnels.map((tunnel) => tunnel.dispose()));
  await ats?.stop();
  await Promise.all(Object.values(backends).map((backend) => backend.stop()));
  await pki?.cleanup();
});

describe.each(versions)('$version', ({ version, host }) => {
  it('logs the broker certificate for a connection that resumed the session of an earlier one', async () => {
    const tunnel = await startTestTunnel(testConfig({ serviceHost: host, router: ats, caPem: pki.ca.certPem }));
    tunnels.push(tunnel);
    for (const count of [1, 2]) {
      const client = await connectLocal(tunnel.host, tunnel.port);
      // A round trip: the server's session ticket precedes its first application data.
      expect((await exchange(client, `hello ${count}`)).toString()).toBe(`hello ${count}`);
      await tunnel.closed(await openedId(tunnel, count));
    }
    expect(resumed[host]).toEqual([false, true]);

    const secured = tunnel.events.filter((event) => event.event === 'connection.secured');
    const closed = tunnel.events.filter((event) => event.event === 'connection.closed');
    expect(secured).toHaveLength(2);
    for (const event of [...secured, ...closed]) {
      expect(event).toMatchObject({ tls: { version, peerSubject: `CN=${host}`, peerValidTo: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } });
    }
  });
});
