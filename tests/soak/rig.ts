/**
 * Everything the soak runs against, started once: a PKI for the run, the bench server as a TLS sink
 * (its own process), the three-broker test cluster with a token, a test admin web service, one real
 * Apache Traffic Server routing all of them by SNI, and two tunnels as real CLI processes through it:
 * a raw one to the sink (checked bytes, descriptor limit) and an inspecting one to the cluster with a
 * web listener (Pulsar clients, abusive clients). ATS can be killed and started again on its port.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAdminCluster, type AdminCluster } from '../fixtures/adminServer.ts';
import { killGroup } from '../fixtures/processGroups.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startPulsarCluster, type PulsarTestCluster } from '../fixtures/pulsarCluster/cluster.ts';
import { startAts, type SniRoute, type SniRouter } from '../fixtures/sniRouters.ts';
import { startBenchServer, startTunnelProcess, type BenchServer, type TunnelProcess } from '../bench/processes.ts';

export const brokerHosts = ['broker1.test', 'broker2.test', 'broker3.test'];
const token = 'soak-token-only-the-tunnel-holds';

/**
 * The inspecting tunnel's connectionTimeoutMs, set in its profile: the time a local Pulsar client has
 * to send its CONNECT, which the abusive-clients scenario relies on.
 */
export const inspectConnectionTimeoutMs = 5_000;

export interface Rig {
  pki: TestPki;
  cluster: PulsarTestCluster;
  admin: AdminCluster;
  sink: BenchServer;
  /** The current ATS (replaced by {@link Rig.restartAts}). */
  ats: SniRouter;
  /** Raw mode, service = the sink. */
  raw: TunnelProcess;
  /** Inspect mode, service = the cluster, token injected, web listener to the admin service. */
  inspect: TunnelProcess;
  /** SIGKILLs ATS's whole process group (a crash); resolves once it is gone. */
  killAts(): Promise<void>;
  /** Starts ATS again with the same routes on the same port. */
  restartAts(): Promise<void>;
  /** Stops everything this rig started; safe to call more than once and after a failure. */
  stop(): Promise<void>;
}

/**
 * Starts the rig, stopping whatever it had started when a step fails.
 * @throws Error naming the step that failed.
 */
export async function startRig(log: (line: string) => void): Promise<Rig> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const dir = await mkdtemp(path.join(tmpdir(), 'pt-soak-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const pki = await createTestPki({ serverHosts: ['sink.test', 'admin.test', ...brokerHosts, 'pulsar.test'] });
    stops.push(() => pki.cleanup());
    const sinkCredential = pki.servers['sink.test']!;
    const sink = await startBenchServer(sinkCredential.certPath, sinkCredential.keyPath);
    stops.push(() => sink.stop());
    const cluster = await startPulsarCluster({ brokers: brokerHosts, serviceHost: 'pulsar.test', pki, auth: { token } });
    stops.push(() => cluster.stop());
    const admin = await startAdminCluster({ pki, brokers: ['admin.test'], token });
    stops.push(() => admin.stop());
    const routes: SniRoute[] = [{ fqdn: 'sink.test', target: `127.0.0.1:${sink.port}` }, ...cluster.sniRoutes(), ...admin.sniRoutes()];
    let ats = await startAts({ routes });
    const atsPort = ats.port;
    stops.push(() => ats.stop());
    log(`soak: ATS on ${ats.address}, sink on ${sink.port}, brokers ${cluster.brokers.map((broker) => broker.port).join(' ')}`);

    await writeFile(path.join(dir, 'token.txt'), `${token}\n`);
    const proxy = { proxyServiceUrl: `pulsar+ssl://${ats.address}`, proxyProtocol: 'SNI', tlsTrustCertsFilePath: pki.ca.certPath };
    const raw = await startTunnelProcess(dir, { name: 'soak-raw', serviceUrl: 'pulsar+ssl://sink.test:6651', ...proxy, pulsarProtocol: 'raw', listen: { port: 0 } });
    stops.push(() => raw.cli.stop('SIGKILL').catch(() => undefined));
    const inspect = await startTunnelProcess(dir, {
      name: 'soak-inspect',
      serviceUrl: 'pulsar+ssl://pulsar.test:6651',
      webServiceUrl: 'https://admin.test:8443',
      ...proxy,
      authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      authParams: `file://${path.join(dir, 'token.txt')}`,
      pulsarProtocol: 'inspect',
      connectionTimeoutMs: inspectConnectionTimeoutMs,
      listen: { port: 0, webPort: 0 },
    });
    stops.push(() => inspect.cli.stop('SIGKILL').catch(() => undefined));
    log(`soak: raw tunnel pid ${raw.pid} on ${raw.port}; inspecting tunnel pid ${inspect.pid} on ${inspect.port}, web ${inspect.webPort}`);

    const rig: Rig = {
      pki,
      cluster,
      admin,
      sink,
      ats,
      raw,
      inspect,
      async killAts() {
        killGroup(ats.pid, 'SIGKILL');
        // stop() sees the exit, sweeps the group again and removes ATS's directory.
        await ats.stop({ graceMs: 0 });
      },
      async restartAts() {
        ats = await startAts({ routes, port: atsPort });
        rig.ats = ats;
      },
      stop,
    };
    return rig;
  } catch (error) {
    await stop();
    throw error;
  }
}
