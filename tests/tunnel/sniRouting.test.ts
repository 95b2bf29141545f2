import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startSniRouter, type SniRouter, type SniRouterKind } from '../fixtures/sniRouters.ts';
import { exchange, startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal, openedId, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

const kinds: SniRouterKind[] = ['ats', 'haproxy', 'nginx'];

describe.each(kinds)('SNI routing through %s', (kind) => {
  let pki: TestPki;
  let broker1: TlsBackend;
  let broker2: TlsBackend;
  let mtlsBroker: TlsBackend;
  let router: SniRouter;
  const tunnels: TestTunnel[] = [];

  beforeAll(async () => {
    pki = await createTestPki({ serverHosts: ['broker1.test', 'broker2.test', 'mtls.test'], clientNames: ['developer'] });
    broker1 = await startTlsBackend({ credential: pki.servers['broker1.test']!, behaviour: 'echo' });
    broker2 = await startTlsBackend({ credential: pki.servers['broker2.test']!, behaviour: 'echo' });
    mtlsBroker = await startTlsBackend({ credential: pki.servers['mtls.test']!, behaviour: 'echo', caPem: pki.ca.certPem, requireClientCert: true });
    router = await startSniRouter(kind, {
      routes: [
        { fqdn: 'broker1.test', target: broker1.address },
        { fqdn: 'broker2.test', target: broker2.address },
        { fqdn: 'mtls.test', target: mtlsBroker.address },
      ],
    });
  });

  afterAll(async () => {
    await Promise.all(tunnels.map((tunnel) => tunnel.dispose()));
    await Promise.all([router?.stop(), broker1?.stop(), broker2?.stop(), mtlsBroker?.stop()]);
    await pki?.cleanup();
  });

  it('sends the service host as SNI, reaches that broker, and logs the verified connection', async () => {
    const tunnel = await startTestTunnel(testConfig({ serviceHost: 'broker2.test', router, caPem: pki.ca.certPem }));
    tunnels.push(tunnel);
    const client = await connectLocal(tunnel.host, tunnel.port);
    expect((await exchange(client, 'ping broker2')).toString()).toBe('ping broker2');
    expect(broker2.accepted.map((connection) => connection.servername)).toEqual(['broker2.test']);
    expect(broker1.accepted).toHaveLength(0);

    const id = await openedId(tunnel, 1);
    const opened = tunnel.events.find((event) => event.event === 'connection.opened' && event.id === id);
    expect(opened).toMatchObject({ sni: 'broker2.test', proxy: router.address, listener: 'pulsar', profile: 'test' });
    expect((opened as { local: string }).local).toMatch(/^127\.0\.0\.1:\d+$/);
    const secured = await tunnel.waitForEvent((event) => event.event === 'connection.secured' && event.id === id);
    expect(secured).toMatchObject({ tls: { version: expect.stringMatching(/^TLSv1\.[23]$/), peerSubject: expect.stringContaining('broker2.test') } });
    const closed = await tunnel.closed(id);
    expect(closed).toMatchObject({ bytesUp: 12, bytesDown: 12, tls: { cipher: expect.any(String), peerValidTo: expect.stringMatching(/^\d{4}-/) } });
    expect(closed.error).toBeUndefined();
  });

  it('presents the profile\'s client certificate to a broker that requires one', async () => {
    const tunnel = await startTestTunnel(
      testConfig({
        serviceHost: 'mtls.test',
        router,
        caPem: pki.ca.certPem,
        overrides: { tls: { caPem: pki.ca.certPem, certPem: pki.clients.developer!.certPem, keyPem: pki.clients.developer!.keyPem, verifyHostname: true, allowInsecure: false } },
      }),
    );
    tunnels.push(tunnel);
    const client = await connectLocal(tunnel.host, tunnel.port);
    expect((await exchange(client, 'mutual')).toString()).toBe('mutual');
    const accepted = await mtlsBroker.waitForAccepted(0);
    expect(accepted.peerCertificateSubjectCN).toBe('developer');
    expect(accepted.peerAuthorized).toBe(true);
  });
});
