/**
 * A test world for the Doctor: one PKI, a token-protected three-broker cluster with a service host,
 * an mTLS-only cluster, a plain TCP port that closes at once, and TunnelConfigs pointing at a given
 * SNI router. Everything closes in stop().
 */
import net from 'node:net';
import type { DoctorReport, DoctorStepName } from '../../shared/model/doctor.ts';
import type { TunnelConfig } from '../../src-main/core/config/tunnelConfig.ts';
import { freePort } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startPulsarCluster, type PulsarTestCluster } from '../fixtures/pulsarCluster/cluster.ts';
import type { SniRouter } from '../fixtures/sniRouters.ts';

export const goodToken = 'doctor-test-token';
export const brokerHosts = ['broker1.test', 'broker2.test', 'broker3.test'];

export interface DoctorWorld {
  pki: TestPki;
  /** Token auth (goodToken), service host pulsar.test. */
  cluster: PulsarTestCluster;
  /** Requires a client certificate; broker mtls1.test, service host mtls.test. */
  mtlsCluster: PulsarTestCluster;
  /** A port on 127.0.0.1 where nothing listens. */
  deadPort: number;
  /** A TunnelConfig through `router` to `serviceHost`, token auth, trusting the test CA. */
  config(router: Pick<SniRouter, 'host' | 'port'>, overrides?: Partial<TunnelConfig> & { serviceHost?: string }): TunnelConfig;
  stop(): Promise<void>;
}

/** Starts the world (PKI, two clusters) without any router. */
export async function startDoctorWorld(): Promise<DoctorWorld> {
  const pki = await createTestPki({ serverHosts: [...brokerHosts, 'pulsar.test', 'mtls1.test', 'mtls.test', 'admin.test'], clientNames: ['developer'] });
  const cluster = await startPulsarCluster({ brokers: brokerHosts, serviceHost: 'pulsar.test', pki, auth: { token: goodToken } });
  const mtlsCluster = await startPulsarCluster({ brokers: ['mtls1.test'], serviceHost: 'mtls.test', pki, auth: { requireClientCert: true } });
  // A port that was free a moment ago: nothing listens there (the route to it is "dead").
  const deadPort = await freePort();
  return {
    pki,
    cluster,
    mtlsCluster,
    deadPort,
    config(router, overrides = {}) {
      const { serviceHost, ...rest } = overrides;
      return {
        name: 'doctor-test',
        service: { host: serviceHost ?? 'pulsar.test', port: 6651 },
        proxy: { host: router.host, port: router.port },
        listen: { host: '127.0.0.1', port: 0 },
        tls: { caPem: pki.ca.certPem, verifyHostname: true, allowInsecure: false },
        auth: { kind: 'token', getToken: async () => goodToken },
        pulsarProtocol: 'inspect',
        keepAliveIntervalSeconds: 20,
        connectionTimeoutMs: 3_000,
        ...rest,
      };
    },
    async stop() {
      await mtlsCluster.stop();
      await cluster.stop();
      await pki.cleanup();
    },
  };
}

/** The status of every step, by name, for compact assertions. */
export function statuses(report: DoctorReport): Partial<Record<DoctorStepName, string>> {
  return Object.fromEntries(report.steps.map((step) => [step.name, step.status]));
}

/** The failed step of a report (the test fails when there is none). */
export function failedStep(report: DoctorReport) {
  const step = report.steps.find((candidate) => candidate.status === 'failed');
  if (!step) throw new Error(`expected a failed step, got ${JSON.stringify(statuses(report))}`);
  return step;
}

/** A TCP server on 127.0.0.1 that accepts and never answers (a silent "proxy"). */
export async function startSilentServer(): Promise<{ host: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
