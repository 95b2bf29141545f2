import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TunnelConfig } from '../../src-main/core/config/tunnelConfig.ts';
import { withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { exchange, startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal, openedId, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

describe('TLS verification through a real ATS', () => {
  let pki: TestPki;
  const backends: TlsBackend[] = [];
  let ats: SniRouter;
  const tunnels: TestTunnel[] = [];

  beforeAll(async () => {
    pki = await createTestPki({ serverHosts: ['good.test'], clientNames: ['developer'] });
    const good = await startTlsBackend({ credential: pki.servers['good.test']!, behaviour: 'echo' });
    // A broker whose certificate names another host than the one the tunnel asked for.
    const misnamed = await startTlsBackend({ credential: pki.servers['good.test']!, behaviour: 'echo' });
    const expired = await startTlsBackend({ credential: await pki.expiredServer('expired.test'), behaviour: 'echo' });
    const mtls = await startTlsBackend({ credential: await pki.serverFor('mtls.test'), behaviour: 'echo', caPem: pki.ca.certPem, requireClientCert: true });
    backends.push(good, misnamed, expired, mtls);
    ats = await startAts({
      routes: [
        { fqdn: 'good.test', target: good.address },
        { fqdn: 'misnamed.test', target: misnamed.address },
        { fqdn: 'expired.test', target: expired.address },
        { fqdn: 'mtls.test', target: mtls.address },
      ],
    });
  });

  afterAll(async () => {
    await Promise.all(tunnels.map((tunnel) => tunnel.dispose()));
    await ats?.stop();
    await Promise.all(backends.map((backend) => backend.stop()));
    await pki?.cleanup();
  });

  /** Opens one connection through a fresh tunnel and returns its closed event. */
  async function failOnce(serviceHost: string, overrides: Partial<TunnelConfig> = {}) {
    const tunnel = await startTestTunnel(testConfig({ serviceHost, router: ats, caPem: pki.ca.certPem, overrides }));
    tunnels.push(tunnel);
    const client = await connectLocal(tunnel.host, tunnel.port);
    const received = await exchange(client, 'must not arrive');
    expect(received.length).toBe(0);
    return { tunnel, closed: await tunnel.closed(await openedId(tunnel, 1)) };
  }

  it('refuses a broker certificate from a CA the profile does not trust', async () => {
    const { closed } = await failOnce('good.test', { tls: { caPem: pki.otherCa.certPem, verifyHostname: true, allowInsecure: false } });
    expect(closed.error?.code).toBe('TUNNEL_TLS_UNTRUSTED');
    expect(closed.error?.message).toMatch(/tlsTrustCertsFilePath/);
  });

  it('refuses a broker certificate that names another host, saying which names it has', async () => {
    const { closed } = await failOnce('misnamed.test');
    expect(closed.error?.code).toBe('TUNNEL_TLS_HOSTNAME_MISMATCH');
    expect(closed.error?.message).toContain('misnamed.test');
    expect(closed.error?.message).toContain('good.test');
  });

  it('accepts the misnamed certificate when hostname verification is turned off, still checking the CA', async () => {
    const tunnel = await startTestTunnel(
      testConfig({ serviceHost: 'misnamed.test', router: ats, overrides: { tls: { caPem: pki.ca.certPem, verifyHostname: false, allowInsecure: false } } }),
    );
    tunnels.push(tunnel);
    const client = await connectLocal(tunnel.host, tunnel.port);
    expect((await exchange(client, 'lenient')).toString()).toBe('lenient');
  });

  it('refuses an expired broker certificate', async () => {
    const { closed } = await failOnce('expired.test');
    expect(closed.error?.code).toBe('TUNNEL_TLS_CERT_EXPIRED');
  });

  it('reports a broker that requires a client certificate the profile does not have', async () => {
    const { closed } = await failOnce('mtls.test');
    expect(closed.error?.code).toBe('TUNNEL_TLS_CLIENT_CERT_REJECTED');
    expect(closed.error?.message).toMatch(/tlsCertificateFilePath/);
  });

  it('keeps serving after failed connections: the next good one works', async () => {
    const { tunnel } = await failOnce('good.test', { tls: { caPem: pki.otherCa.certPem, verifyHostname: true, allowInsecure: false } });
    expect(tunnel.events.filter((event) => event.event === 'connection.closed')).toHaveLength(1);
    const good = await startTestTunnel(testConfig({ serviceHost: 'good.test', router: ats, caPem: pki.ca.certPem }));
    tunnels.push(good);
    const results = await withDeadline(
      Promise.all([1, 2, 3].map(async (n) => (await exchange(await connectLocal(good.host, good.port), `n${n}`)).toString())),
      10_000,
      'three good connections',
    );
    expect(results).toEqual(['n1', 'n2', 'n3']);
  });
});
