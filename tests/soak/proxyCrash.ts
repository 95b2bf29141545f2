/**
 * Scenario: ATS is SIGKILLed while connections through both tunnels are busy (raw bulk downloads
 * and paced echo streams moving bytes, Pulsar sessions connected), then started again on the same port. Every
 * local connection must be closed by the tunnel within 1 s, each connection.closed carrying an error
 * code (a connection that lost its proxy mid-transfer did not end normally), and new connections
 * must work through the same tunnel processes, which are never restarted.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import { connectFrame } from '../bench/pulsarFrames.ts';
import { openShaExchange } from '../bench/shaExchange.ts';
import type { TunnelProcess } from '../bench/processes.ts';
import { alive } from './procfs.ts';
import type { Rig } from './rig.ts';
import { histogram, percentile, type ScenarioResult } from './report.ts';
import { closeCode, LogWindow } from './tunnelLog.ts';

export interface ProxyCrashOptions {
  /** Raw connections streaming through the echo at a steady pace. */
  pacedConnections: number;
  /** Bytes each paced connection writes every 50 ms. */
  pacedChunk: number;
  /** Raw connections downloading as fast as they can. */
  bulkConnections: number;
  /** Connected Pulsar sessions on the inspecting tunnel. */
  pulsarSessions: number;
  /** Bytes each paced connection must have received back before the kill (bulk ones: 1 MiB). */
  midTransferBytes: number;
  /** New checked exchanges through the raw tunnel after the restart. */
  afterRestart: number;
  closeBoundMs: number;
}

interface Watched {
  kind: 'paced' | 'bulk' | 'pulsar';
  socket: net.Socket;
  tunnel: TunnelProcess;
  /** The client's own port, which the tunnel logs as the connection's `local`. */
  localPort: number;
  /** Date.now() when it connected, to find its connection in the tunnel's log. */
  connectedWall: number;
  received: number;
  closedAt?: number;
}

function watch(kind: Watched['kind'], socket: net.Socket, tunnel: TunnelProcess): Watched {
  const watched: Watched = { kind, socket, tunnel, localPort: socket.localPort ?? -1, connectedWall: Date.now(), received: 0 };
  socket.on('data', (chunk: Buffer) => (watched.received += chunk.length));
  socket.on('error', () => undefined);
  socket.once('close', () => (watched.closedAt = performance.now()));
  return watched;
}

/**
 * A raw connection that keeps moving bytes until it is closed: a 1 TiB bulk download, or an echo
 * stream paced at `chunk` bytes every 50 ms (so a few hundred of them fit a loaded machine's CPU).
 */
async function busyRawConnection(tunnel: TunnelProcess, kind: 'bulk' | 'paced', chunk: number): Promise<Watched> {
  const socket = await tunnel.connect();
  const watched = watch(kind, socket, tunnel);
  if (kind === 'bulk') {
    const request = Buffer.alloc(9);
    request.write('D');
    request.writeBigUInt64BE(2n ** 40n, 1);
    socket.write(request);
  } else {
    socket.write('E');
    const block = Buffer.alloc(chunk, 0x45);
    const timer = setInterval(() => {
      if (socket.writable && socket.writableLength < 4 * chunk) socket.write(block);
    }, 50);
    socket.once('close', () => clearInterval(timer));
  }
  return watched;
}

/** A Pulsar session on the inspecting tunnel: CONNECT sent, CONNECTED received, then idle. */
async function pulsarSession(tunnel: TunnelProcess): Promise<Watched> {
  const socket = await tunnel.connect();
  const watched = watch('pulsar', socket, tunnel);
  socket.write(connectFrame);
  await once(socket, 'data', 10_000);
  return watched;
}

export async function proxyCrash(rig: Rig, options: ProxyCrashOptions): Promise<Omit<ScenarioResult, 'seconds'>> {
  const rawLog = new LogWindow(rig.raw.cli);
  const inspectLog = new LogWindow(rig.inspect.cli);
  const watched: Watched[] = [];
  try {
    // Paced streams and Pulsar sessions first; bulk downloads last, once the others are moving
    // (bulk transfers slow the tunnel's accepting of new connections on a loaded machine).
    for (let index = 0; index < options.pacedConnections; index++) watched.push(await busyRawConnection(rig.raw, 'paced', options.pacedChunk));
    for (let index = 0; index < options.pulsarSessions; index++) watched.push(await pulsarSession(rig.inspect));
    const midTransfer = async (group: Watched[], bytes: number, what: string) =>
      eventually(() => group.every((item) => item.received >= bytes) || undefined, { timeoutMs: 30_000, what }).catch((error: unknown) => {
        const behind = group.filter((item) => item.received < bytes);
        throw new Error(`${(error as Error).message}: ${behind.length} of ${group.length} behind (${behind.filter((item) => item.closedAt !== undefined).length} closed), e.g. ${behind.slice(0, 3).map((item) => `${item.received} bytes`).join(', ')}`);
      });
    await midTransfer(watched.filter((item) => item.tunnel === rig.raw), options.midTransferBytes, 'every paced stream to be mid-transfer');
    const bulk: Watched[] = [];
    for (let index = 0; index < options.bulkConnections; index++) bulk.push(await busyRawConnection(rig.raw, 'bulk', 0));
    watched.push(...bulk);
    await midTransfer(bulk, 1024 * 1024, 'every bulk download to be mid-transfer');
    const raw = watched.filter((item) => item.tunnel === rig.raw);
    const receivedBeforeKill = raw.reduce((sum, item) => sum + item.received, 0);

    const killedAt = performance.now();
    const killedWall = Date.now();
    await rig.killAts();
    const waitMs = Math.max(options.closeBoundMs * 5, 5_000);
    await eventually(() => watched.every((item) => item.closedAt !== undefined) || undefined, { timeoutMs: waitMs, what: 'every local connection to close' }).catch(() => undefined);
    // As the local client saw it (this includes this process's own delay in noticing, so on a loaded
    // machine it errs on the slow side).
    const closeMs = watched.map((item) => (item.closedAt === undefined ? Number.POSITIVE_INFINITY : item.closedAt - killedAt));
    const stillOpen = watched.filter((item) => item.closedAt === undefined).length;
    for (const item of watched) item.socket.destroy();

    // Which code the tunnel logged for each of these connections (the event follows the close).
    const closedEvent = (item: Watched) => {
      const log = item.tunnel === rig.raw ? rawLog : inspectLog;
      const id = log.idOf('pulsar', item.localPort, item.connectedWall - 250);
      const opened = log.events('connection.opened').find((event) => Number(event.id) === id);
      return { id, opened, closed: id === undefined ? undefined : log.closedById().get(id) };
    };
    const codeOf = (item: Watched): string => {
      const { id, closed } = closedEvent(item);
      return id === undefined ? 'no connection.opened' : closeCode(closed);
    };
    await eventually(() => watched.every((item) => codeOf(item) !== 'no connection.closed') || undefined, { timeoutMs: 5_000, what: 'connection.closed for each' }).catch(() => undefined);
    const codes = watched.map(codeOf);
    const withCode = codes.filter((code) => code !== 'none' && !code.startsWith('no ')).length;
    // When the tunnel logged connection.closed (after both of its sockets closed), by its own clock.
    const loggedMs = watched.map((item) => {
      const { opened, closed } = closedEvent(item);
      if (opened === undefined || closed === undefined) return Number.POSITIVE_INFINITY;
      return Date.parse(String(opened.time)) + Number(closed.durationMs) - killedWall;
    });
    const withinBound = closeMs.filter((ms) => ms <= options.closeBoundMs).length;

    // ATS again on the same port; the same tunnel processes must carry new connections.
    const restartStarted = performance.now();
    await rig.restartAts();
    const restartMs = performance.now() - restartStarted;
    let newOk = 0;
    const newFailures: string[] = [];
    for (let index = 0; index < options.afterRestart; index++) {
      const socket = await rig.raw.connect();
      try {
        const exchange = await openShaExchange(socket, { up: 64 * 1024 + index, down: 64 * 1024 + 7 * index, seed: 900_000 + index }, 10_000);
        const outcome = await exchange.run(10_000);
        if (outcome.upIntact && outcome.downIntact && outcome.error === undefined) newOk++;
        else newFailures.push(outcome.error ?? 'altered');
      } catch (error) {
        newFailures.push((error as Error).message);
        socket.destroy();
      }
    }
    const pulsarAfter = await withDeadline(pulsarSession(rig.inspect), 10_000, 'a Pulsar session after the restart').then(
      (item) => {
        item.socket.destroy();
        return true;
      },
      () => false,
    );
    const sameProcesses = alive(rig.raw.pid) && alive(rig.inspect.pid);

    const total = watched.length;
    const maxMs = Math.max(...closeMs);
    const pass = withinBound === total && withCode === total && newOk === options.afterRestart && pulsarAfter && sameProcesses;
    return {
      name: 'ATS killed mid-transfer, restarted',
      pass,
      measured: `${withinBound}/${total} local connections closed within ${options.closeBoundMs} ms of the kill (p50 ${percentile(closeMs, 0.5).toFixed(0)} ms, max ${Number.isFinite(maxMs) ? `${maxMs.toFixed(0)} ms` : `not closed after ${waitMs} ms`}; connection.closed logged at p50 ${percentile(loggedMs, 0.5).toFixed(0)} ms), ${withCode}/${total} with an error code ${JSON.stringify(histogram(codes))}; after restart on the same port: ${newOk}/${options.afterRestart} raw exchanges intact, Pulsar CONNECT ${pulsarAfter ? 'ok' : 'FAILED'}, tunnels not restarted: ${sameProcesses ? 'yes' : 'NO'}`,
      target: `all closed within ${options.closeBoundMs} ms, each with a code, new connections work without restarting the tunnel`,
      figures: {
        connections: total,
        pacedConnections: options.pacedConnections,
        bulkConnections: options.bulkConnections,
        pulsarSessions: options.pulsarSessions,
        bytesReceivedBeforeKill: receivedBeforeKill,
        closedWithinBound: withinBound,
        closeBoundMs: options.closeBoundMs,
        closeMsP50: +percentile(closeMs, 0.5).toFixed(1),
        closeMsMax: Number.isFinite(maxMs) ? +maxMs.toFixed(1) : null,
        closeMsMaxByKind: Object.fromEntries(
          (['paced', 'bulk', 'pulsar'] as const).map((kind) => [kind, +Math.max(...closeMs.filter((_, index) => watched[index]!.kind === kind)).toFixed(1)]),
        ),
        closedLoggedMsP50: +percentile(loggedMs, 0.5).toFixed(1),
        closedLoggedMsMax: Number.isFinite(Math.max(...loggedMs)) ? +Math.max(...loggedMs).toFixed(1) : null,
        stillOpenAfterMs: { ms: waitMs, count: stillOpen },
        closeCodes: histogram(codes),
        closeCodesByKind: Object.fromEntries((['paced', 'bulk', 'pulsar'] as const).map((kind) => [kind, histogram(codes.filter((_, index) => watched[index]!.kind === kind))])),
        atsRestartMs: +restartMs.toFixed(0),
        newExchangesOk: newOk,
        newExchanges: options.afterRestart,
        newFailures: histogram(newFailures),
        pulsarSessionAfterRestart: pulsarAfter,
        tunnelsNotRestarted: sameProcesses,
      },
    };
  } finally {
    for (const item of watched) item.socket.destroy();
  }
}
