import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TunnelConfig } from '../../src-main/core/config/tunnelConfig.ts';
import { freePort } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { exchange, startPlainTcpServer, startTlsBackend, type PlainTcpServer, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal, openedId, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

describe('what the tunnel says when the proxy cannot route', () => {
  let pki: TestPki;
  let broker: TlsBackend;
  let ats: SniRouter;
  let silent: PlainTcpServer;
  const tunnels: TestTunnel[] = [];

  beforeAll(async () => {
    pki = await createTestPki({ serverHosts: ['broker.test', 'dead.test', 'html.test'] });
    broker = await startTlsBackend({ credential: pki.servers['broker.test']!, behaviour: 'echo' });
    const deadPort = await freePort();
    const unlistedPort = await freePort();
    ats = await startAts({
      routes: [
        { fqdn: 'broker.test', target: broker.address },
        { fqdn: 'dead.test', target: `127.0.0.1:${deadPort}` },
        // A port outside proxy.config.http.connect_ports: ATS writes an HTML error page.
        { fqdn: 'html.test', target: `127.0.0.1:${unlistedPort}` },
      ],
      connectPorts: [broker.port, deadPort],
    });
    // A "proxy" that accepts and never answers: the handshake must time out, not hang.
    silent = await startPlainTcpServer(() => undefined);
  });

  afterAll(async () => {
    await Promise.all(tunnels.map((tunnel) => tunnel.dispose()));
    await Promise.all([ats?.stop(), broker?.stop(), silent?.stop()]);
    await pki?.cleanup();
  });

  async function closedEventFor(serviceHost: string, overrides: Partial<TunnelConfig> = {}) {
    const tunnel = await startTestTunnel(testConfig({ serviceHost, router: ats, caPem: pki.ca.certPem, overrides }));
    tunnels.push(tunnel);
    const client = await connectLocal(tunnel.host, tunnel.port);
    expect((await exchange(client, 'x')).length).toBe(0);
    return tunnel.closed(await openedId(tunnel, 1));
  }

  it('explains a TLS alert for a server name the proxy has no route for', async () => {
    const closed = await closedEventFor('unknown.test');
    expect(closed.error?.code).toBe('PROXY_NO_ROUTE');
    expect(closed.error?.message).toContain('unknown.test');
    expect(closed.error?.message).toMatch(/sni\.yaml/);
  });

  it('explains a route to a port where nothing listens', async () => {
    const closed = await closedEventFor('dead.test');
    expect(closed.error?.code).toBe('PROXY_ROUTE_DEAD');
  });

  it('explains a proxy answering with a plaintext HTML page', async () => {
    const closed = await closedEventFor('html.test');
    expect(closed.error?.code).toBe('PROXY_ANSWERED_PLAINTEXT');
    expect(closed.error?.message).toMatch(/connect_ports/);
  });

  it('explains a proxy that is down', async () => {
    const port = await freePort();
    const closed = await closedEventFor('broker.test', { proxy: { host: '127.0.0.1', port } });
    expect(closed.error?.code).toBe('PROXY_UNREACHABLE');
    expect(closed.error?.message).toContain(`127.0.0.1:${port}`);
  });

  it('gives up on a handshake that gets no answer, within the connection timeout', async () => {
    const closed = await closedEventFor('broker.test', { proxy: { host: '127.0.0.1', port: silent.port }, connectionTimeoutMs: 300 });
    expect(closed.error?.code).toBe('TUNNEL_TLS_HANDSHAKE_TIMEOUT');
    expect(closed.durationMs).toBeGreaterThanOrEqual(290);
    expect(closed.durationMs).toBeLessThan(5_000);
  });
});
