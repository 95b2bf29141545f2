/**
 * A three-broker test cluster behind a real ATS, and in-process tunnels in front of it, for the
 * routing tests.
 */
import type { TunnelConfig } from '../../src-main/core/config/tunnelConfig.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startPulsarCluster, type PulsarClusterOptions, type PulsarTestCluster } from '../fixtures/pulsarCluster/cluster.ts';
import { TestClientConnection } from '../fixtures/pulsarCluster/client.ts';
import { startAts, type AtsOptions, type SniRouter } from '../fixtures/sniRouters.ts';
import { startTestTunnel, testConfig, type TestTunnel } from '../tunnel/harness.ts';

export const brokerHosts = ['broker1.test', 'broker2.test', 'broker3.test'];

export interface ClusterHarness {
  pki: TestPki;
  cluster: PulsarTestCluster;
  ats: SniRouter;
  /** An inspecting tunnel to the cluster's service host through ATS. */
  tunnel(overrides?: Partial<TunnelConfig>, options?: { closeTimeoutMs?: number }): Promise<TestTunnel>;
  /** A plain test client connected to the tunnel's main port (or another local address). */
  client(tunnel: TestTunnel, address?: string, options?: { refreshToken?: string; answerPings?: boolean }): Promise<TestClientConnection>;
  stop(): Promise<void>;
}

export async function startClusterHarness(
  options: { cluster?: Partial<Omit<PulsarClusterOptions, 'pki' | 'brokers'>>; ats?: Partial<AtsOptions> } = {},
): Promise<ClusterHarness> {
  const pki = await createTestPki({ serverHosts: [...brokerHosts, 'pulsar.test'], clientNames: ['developer'] });
  const cluster = await startPulsarCluster({ brokers: brokerHosts, serviceHost: 'pulsar.test', pki, ...options.cluster });
  const ats = await startAts({ routes: cluster.sniRoutes(), ...options.ats });
  const tunnels: TestTunnel[] = [];
  const clients: TestClientConnection[] = [];
  return {
    pki,
    cluster,
    ats,
    async tunnel(overrides = {}, tunnelOptions = {}) {
      const tunnel = await startTestTunnel(
        testConfig({ serviceHost: 'pulsar.test', router: ats, caPem: pki.ca.certPem, overrides: { pulsarProtocol: 'inspect', ...overrides } }),
        tunnelOptions,
      );
      tunnels.push(tunnel);
      return tunnel;
    },
    async client(tunnel, address, clientOptions = {}) {
      const [host, port] = (address ?? `${tunnel.host}:${tunnel.port}`).split(/:(?=\d+$)/) as [string, string];
      const client = await TestClientConnection.open({ host, port: Number(port), ...clientOptions });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.destroy();
      await Promise.all(tunnels.map((tunnel) => tunnel.dispose()));
      await ats.stop();
      await cluster.stop();
      await pki.cleanup();
    },
  };
}
