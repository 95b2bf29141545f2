/**
 * The web tests' common world: a throw-away PKI, the test admin service for broker1.test behind a
 * real ATS, and a tunnel whose web listener injects `token` (listen 127.0.0.1, any free ports).
 */
import { startAdminCluster, type AdminCluster } from '../fixtures/adminServer.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { startTestTunnel, testConfig, type TestTunnel } from '../tunnel/harness.ts';

export interface AdminWebWorld {
  pki: TestPki;
  admin: AdminCluster;
  ats: SniRouter;
  tunnel: TestTunnel;
  /** Stops the tunnel, ATS and the admin service, and removes the PKI. */
  stop(): Promise<void>;
}

export async function startAdminWebWorld(token: string): Promise<AdminWebWorld> {
  const pki = await createTestPki({ serverHosts: ['broker1.test'] });
  let admin: AdminCluster | undefined;
  let ats: SniRouter | undefined;
  let tunnel: TestTunnel | undefined;
  const stop = async () => {
    await tunnel?.dispose();
    await ats?.stop();
    await admin?.stop();
    await pki.cleanup();
  };
  try {
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
    return { pki, admin, ats, tunnel, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
