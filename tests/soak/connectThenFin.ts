/**
 * Scenario: clients that send a Pulsar CONNECT and at once half-close (FIN), the pattern of a
 * script or a health check, on the inspecting tunnel. Each one must end up closed everywhere: the
 * local socket, the tunnel's connection (a connection.closed event) and the broker's side, within the
 * tunnel's close timeout, and the tunnel's descriptor count must come back to where it was.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { eventually, once } from '../fixtures/deadline.ts';
import type { PulsarTestCluster } from '../fixtures/pulsarCluster/cluster.ts';
import { connectFrame } from '../bench/pulsarFrames.ts';
import type { TunnelProcess } from '../bench/processes.ts';
import { fdCount } from './procfs.ts';
import { histogram, percentile, type ScenarioResult } from './report.ts';
import { closeCode, LogWindow } from './tunnelLog.ts';

export interface ConnectThenFinOptions {
  clients: number;
  /** How long they may take to close: the tunnel's close timeout plus slack. */
  boundMs: number;
}

interface Client {
  socket: net.Socket;
  received: number;
  closedAt?: number;
}

async function connectThenFin(tunnel: TunnelProcess): Promise<Client> {
  // allowHalfOpen: the client's FIN closes only its sending side; it keeps reading the answer.
  const socket = net.connect({ host: '127.0.0.1', port: tunnel.port, allowHalfOpen: true });
  const client: Client = { socket, received: 0 };
  socket.on('data', (chunk: Buffer) => (client.received += chunk.length));
  socket.on('error', () => undefined);
  socket.once('close', () => (client.closedAt = performance.now()));
  await once(socket, 'connect', 10_000);
  // One write: the CONNECT and the FIN reach the tunnel together.
  socket.end(connectFrame);
  return client;
}

function brokerConnectionsOpen(cluster: PulsarTestCluster): number {
  return cluster.stats().reduce((sum, stats) => sum + stats.connectionsOpen, 0);
}

export async function connectThenFinScenario(tunnel: TunnelProcess, cluster: PulsarTestCluster, options: ConnectThenFinOptions): Promise<Omit<ScenarioResult, 'seconds'>> {
  const log = new LogWindow(tunnel.cli);
  const fdsBefore = await fdCount(tunnel.pid);
  const brokerBefore = brokerConnectionsOpen(cluster);
  const started = performance.now();
  const clients: Client[] = [];
  try {
    for (let batch = 0; batch < options.clients; batch += 50) {
      clients.push(...(await Promise.all(Array.from({ length: Math.min(50, options.clients - batch) }, () => connectThenFin(tunnel)))));
    }
    const lastFin = performance.now();
    const allClosed = () => clients.every((client) => client.closedAt !== undefined) && log.stillOpen().length === 0 && brokerConnectionsOpen(cluster) <= brokerBefore;
    await eventually(() => allClosed() || undefined, { timeoutMs: options.boundMs, what: 'every CONNECT+FIN connection to close' }).catch(() => undefined);
    const waitedMs = performance.now() - lastFin;
    const clientsOpen = clients.filter((client) => client.closedAt === undefined).length;
    const tunnelOpen = log.stillOpen().length;
    const brokerOpen = brokerConnectionsOpen(cluster) - brokerBefore;
    const answered = clients.filter((client) => client.received > 0).length;
    const closeMs = clients.filter((client) => client.closedAt !== undefined).map((client) => client.closedAt! - started);
    const fdsAfter = await fdCount(tunnel.pid);
    const codes = histogram([...log.closedById().values()].map((event) => closeCode(event)));

    const pass = clientsOpen === 0 && tunnelOpen === 0 && brokerOpen <= 0 && fdsAfter <= fdsBefore;
    return {
      name: `${options.clients} CONNECT+FIN clients`,
      pass,
      measured: `left open after ${(waitedMs / 1000).toFixed(1)} s: ${clientsOpen} local, ${tunnelOpen} in the tunnel, ${Math.max(0, brokerOpen)} at brokers; tunnel fds ${fdsBefore} → ${fdsAfter}; ${answered}/${options.clients} got an answer to CONNECT; closed p50 ${percentile(closeMs, 0.5).toFixed(0)} ms after the first connect`,
      target: `0 left open anywhere within ${(options.boundMs / 1000).toFixed(0)} s (the tunnel's close timeout + 5 s), fds back to the start`,
      figures: {
        clients: options.clients,
        leftOpenLocal: clientsOpen,
        leftOpenTunnel: tunnelOpen,
        leftOpenBroker: Math.max(0, brokerOpen),
        answeredConnect: answered,
        closeMsP50: +percentile(closeMs, 0.5).toFixed(1),
        closeMsMax: closeMs.length ? +Math.max(...closeMs).toFixed(1) : null,
        fdsBefore,
        fdsAfter,
        closeCodes: codes,
        boundMs: options.boundMs,
      },
    };
  } finally {
    for (const client of clients) client.socket.destroy();
  }
}
