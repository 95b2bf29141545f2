/**
 * Scenario: thousands of local clients that never get going, on both listeners of the inspecting
 * tunnel, while the real pulsar-flex client keeps doing round trips through it (a new producer per
 * round, one message, received by a consumer that stays subscribed).
 *
 * - partial-header clients: half on the web listener send an HTTP request line and headers but never
 *   the blank line; half on the Pulsar listener send a frame header but never the rest of the frame;
 * - silent clients: connect and send nothing, half on each listener.
 *
 * Each must be dropped by the tunnel: on the Pulsar listener within the profile's connectionTimeoutMs
 * (the time it gives a client to send CONNECT), on the web listener within 60 s (the header timeout
 * Node's http server and nginx use by default; a listener that waits longer is not guarding against
 * this at all). Every round trip must succeed meanwhile, and the web listener must serve again after.
 */
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import type { PulsarTestCluster } from '../fixtures/pulsarCluster/cluster.ts';
import { flex, type FlexConsumer } from '../routing/flex.ts';
import type { TunnelProcess } from '../bench/processes.ts';
import { fdCount } from './procfs.ts';
import { percentile, type ScenarioResult } from './report.ts';
import { LogWindow } from './tunnelLog.ts';

export interface AbusiveClientsOptions {
  partialHeader: number;
  silent: number;
  /** The inspecting tunnel's connectionTimeoutMs (from its profile). */
  pulsarConnectTimeoutMs: number;
  /** How long the web listener may keep a client that has not finished its request header. */
  webHeaderBoundMs: number;
  /** Added to each bound for scheduling on a loaded machine. */
  slackMs: number;
}

type Kind = 'web partial header' | 'pulsar partial header' | 'web silent' | 'pulsar silent';

interface Abuser {
  kind: Kind;
  socket: net.Socket;
  /** The client's own port, which the tunnel logs as the connection's `local`. */
  localPort: number;
  /** Date.now() when it connected, to find its connection in the tunnel's log. */
  connectedWall: number;
  openedAt: number;
  closedAt?: number;
}

async function openAbuser(kind: Kind, port: number): Promise<Abuser> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const abuser: Abuser = { kind, socket, localPort: -1, connectedWall: 0, openedAt: 0 };
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  socket.once('close', () => (abuser.closedAt = performance.now()));
  await once(socket, 'connect', 10_000);
  abuser.openedAt = performance.now();
  abuser.connectedWall = Date.now();
  abuser.localPort = socket.localPort ?? -1;
  if (kind === 'web partial header') socket.write('GET /admin/v2/clusters HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: soak\r\nX-Never-Ends: ');
  // A frame that announces 100 bytes and a 60-byte command, then stops after 3 of them.
  if (kind === 'pulsar partial header') socket.write(Buffer.from([0, 0, 0, 100, 0, 0, 0, 60, 8, 2, 0x12]));
  return abuser;
}

/** One pulsar-flex round trip: a new producer sends one message that the subscribed consumer receives. */
async function roundTrip(main: string, topic: string, round: number, got: Set<string>): Promise<number> {
  const started = performance.now();
  const producer = new flex.Producer({ topic, discoveryServers: [main], producerAccessMode: 0, logLevel: 0 });
  try {
    await producer.create();
    const payload = `soak round ${round}`;
    await producer.sendMessage({ payload });
    await eventually(() => got.has(payload) || undefined, { timeoutMs: 10_000, what: `round ${round}'s message at the consumer` });
    return performance.now() - started;
  } finally {
    await withDeadline(producer.close(), 5_000, 'the producer to close').catch(() => undefined);
    // pulsar-flex 1.1's Producer.close() leaves its connection open (Consumer.unsubscribe() and its
    // own lookups end theirs with this same close()); end it, or every round would leave one behind.
    (producer as unknown as { _client?: { getCnx(): { close(): void } | null } })._client?.getCnx()?.close();
  }
}

/** GET /admin/v2/clusters through the web listener; resolves with the status. */
function webRequest(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/admin/v2/clusters', agent: false }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.setTimeout(10_000, () => request.destroy(new Error('no answer within 10 s')));
    request.once('error', reject);
  });
}

export async function abusiveClients(tunnel: TunnelProcess, cluster: PulsarTestCluster, options: AbusiveClientsOptions): Promise<Omit<ScenarioResult, 'seconds'>> {
  if (tunnel.webPort === undefined) throw new Error('the inspecting tunnel has no web listener');
  const main = `127.0.0.1:${tunnel.port}`;
  const topic = cluster.topicOwnedBy('broker2.test', 'soak-flood');
  const got = new Set<string>();
  const consumer: FlexConsumer = new flex.Consumer({ topic, subscription: 'soak', subType: 1, consumerName: 'soak', discoveryServers: [main], receiveQueueSize: 100, logLevel: 0 });
  const abusers: Abuser[] = [];
  const log = new LogWindow(tunnel.cli);
  const fdsBefore = await fdCount(tunnel.pid);
  try {
    await withDeadline(consumer.subscribe(), 15_000, 'the consumer to subscribe');
    await consumer.run({ onMessage: async ({ message }) => void got.add(message.toString()) });
    await withDeadline(roundTrip(main, topic, 0, got), 20_000, 'the round trip before the flood');

    // Round trips run from before the first abuser connects until the flood is over.
    const rounds: number[] = [];
    const failures: string[] = [];
    let flooding = true;
    const loop = (async () => {
      for (let round = 1; flooding; round++) {
        try {
          rounds.push(await withDeadline(roundTrip(main, topic, round, got), 15_000, `round trip ${round}`));
        } catch (error) {
          failures.push((error as Error).message.split('\n')[0]!);
        }
      }
    })();

    const plan: { kind: Kind; port: number }[] = [];
    for (let index = 0; index < options.partialHeader; index++) plan.push(index % 2 === 0 ? { kind: 'web partial header', port: tunnel.webPort } : { kind: 'pulsar partial header', port: tunnel.port });
    for (let index = 0; index < options.silent; index++) plan.push(index % 2 === 0 ? { kind: 'web silent', port: tunnel.webPort } : { kind: 'pulsar silent', port: tunnel.port });
    const refusedAtConnect: string[] = [];
    for (let batch = 0; batch < plan.length; batch += 200) {
      const opened = await Promise.allSettled(plan.slice(batch, batch + 200).map(({ kind, port }) => openAbuser(kind, port)));
      for (const result of opened) {
        if (result.status === 'fulfilled') abusers.push(result.value);
        else refusedAtConnect.push((result.reason as Error).message);
      }
    }
    const floodOpened = performance.now();
    const fdsDuringFlood = await fdCount(tunnel.pid);
    const boundOf = (kind: Kind) => (kind.startsWith('pulsar') ? options.pulsarConnectTimeoutMs : options.webHeaderBoundMs) + options.slackMs;
    const holdMs = Math.max(options.pulsarConnectTimeoutMs, options.webHeaderBoundMs) + options.slackMs;
    await eventually(() => abusers.every((abuser) => abuser.closedAt !== undefined) || undefined, { timeoutMs: holdMs, intervalMs: 100, what: 'the tunnel to drop every abusive client' }).catch(() => undefined);
    flooding = false;
    await loop;
    const floodSeconds = (performance.now() - floodOpened) / 1000;

    // Dropped in time: by the tunnel's own clock (connection.closed durationMs, from its accept), or
    // as this client saw it; a loaded machine delays both, the first excludes this process's lag.
    const closedEvents = log.closedById();
    const tunnelLifetime = (abuser: Abuser): number | undefined => {
      // 250 ms of slack: the tunnel may log its accept before this process sees 'connect'.
      const id = log.idOf(abuser.kind.startsWith('web') ? 'http' : 'pulsar', abuser.localPort, abuser.connectedWall - 250);
      const closed = id === undefined ? undefined : closedEvents.get(id);
      return closed === undefined ? undefined : Number(closed.durationMs);
    };
    const droppedInTime = (abuser: Abuser): boolean => {
      const logged = tunnelLifetime(abuser);
      if (logged !== undefined && logged <= boundOf(abuser.kind)) return true;
      return abuser.closedAt !== undefined && abuser.closedAt - abuser.openedAt <= boundOf(abuser.kind);
    };
    const byKind = (kind: Kind) => abusers.filter((abuser) => abuser.kind === kind);
    const kinds: Kind[] = ['web partial header', 'web silent', 'pulsar partial header', 'pulsar silent'];
    const shed = Object.fromEntries(
      kinds.map((kind) => {
        const group = byKind(kind);
        const logged = group.map(tunnelLifetime).filter((ms): ms is number => ms !== undefined);
        const seen = group.filter((abuser) => abuser.closedAt !== undefined).map((abuser) => abuser.closedAt! - abuser.openedAt);
        const late = group.filter((abuser) => !droppedInTime(abuser)).length;
        return [
          kind,
          {
            clients: group.length,
            droppedWithinBound: group.length - late,
            heldPastBound: late,
            boundMs: boundOf(kind),
            tunnelLoggedMsP50: +percentile(logged, 0.5).toFixed(0),
            tunnelLoggedMsMax: logged.length ? +Math.max(...logged).toFixed(0) : null,
            clientSawMsMax: seen.length ? +Math.max(...seen).toFixed(0) : null,
          },
        ];
      }),
    ) as Record<Kind, { clients: number; droppedWithinBound: number; heldPastBound: number; boundMs: number; tunnelLoggedMsP50: number; tunnelLoggedMsMax: number | null; clientSawMsMax: number | null }>;
    for (const abuser of abusers) abuser.socket.destroy();
    const webAfter = await webRequest(tunnel.webPort).catch((error: unknown) => `failed: ${(error as Error).message}`);
    await eventually(async () => (await fdCount(tunnel.pid)) <= fdsBefore + 5 || undefined, { timeoutMs: 5_000, what: 'the tunnel\'s descriptors to come back' }).catch(() => undefined);
    const fdsAfter = await fdCount(tunnel.pid);

    const heldPastBound = kinds.reduce((sum, kind) => sum + shed[kind].heldPastBound, 0);
    const total = options.partialHeader + options.silent;
    const pass = failures.length === 0 && rounds.length >= 3 && heldPastBound === 0 && webAfter === 200 && fdsAfter <= fdsBefore + 5;
    const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
    const describe = (kind: Kind) => `${kind} ${shed[kind].droppedWithinBound}/${shed[kind].clients} dropped ≤ ${(shed[kind].boundMs / 1000).toFixed(0)} s (tunnel's log max ${seconds(shed[kind].tunnelLoggedMsMax)}, client saw max ${seconds(shed[kind].clientSawMsMax)})`;
    return {
      name: `${options.partialHeader} partial-header + ${options.silent} silent`,
      pass,
      measured: `pulsar-flex round trips ${rounds.length} ok / ${failures.length} failed (p50 ${percentile(rounds, 0.5).toFixed(0)} ms, max ${rounds.length ? Math.max(...rounds).toFixed(0) : '-'} ms) over ${floodSeconds.toFixed(0)} s; ${kinds.map(describe).join('; ')}; ${total - abusers.length} refused at connect; web GET after: ${webAfter}; tunnel fds ${fdsBefore} → ${fdsDuringFlood} → ${fdsAfter}`,
      target: `every round trip succeeds (≥ 3), every abusive client dropped within its bound (Pulsar: connectionTimeoutMs ${options.pulsarConnectTimeoutMs} ms; web: ${options.webHeaderBoundMs / 1000} s; + ${options.slackMs / 1000} s slack), web serves after, fds back`,
      figures: {
        roundTrips: { ok: rounds.length, failed: failures.length, msP50: +percentile(rounds, 0.5).toFixed(0), msMax: rounds.length ? +Math.max(...rounds).toFixed(0) : null, failures: failures.slice(0, 3) },
        floodSeconds: +floodSeconds.toFixed(1),
        shed,
        refusedAtConnect: refusedAtConnect.length,
        webStatusAfter: webAfter,
        fds: { before: fdsBefore, duringFlood: fdsDuringFlood, after: fdsAfter },
      },
      ...(failures.length > 0 ? { reason: `first failed round trip: ${failures[0]}` } : {}),
    };
  } finally {
    for (const abuser of abusers) abuser.socket.destroy();
    await withDeadline(consumer.unsubscribe(), 5_000, 'the consumer to unsubscribe').catch(() => undefined);
  }
}
