/**
 * A local client that writes its CONNECT and its FIN in one go (a crashed client, an `nc`-style
 * health check) is served and then closed: the FIN reaches the broker, the broker's answer and its
 * close come back, `connection.closed` is logged, and nothing is left open at the tunnel, the proxy
 * or the broker. Tried with many such clients at once, with and without protocol inspection.
 */
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import { subCommand } from '../fixtures/pulsarCluster/client.ts';
import { CommandType, FrameReader, encodeSimpleFrame, type DecodedFrame } from '../fixtures/pulsarCluster/protocol.ts';
import type { TestTunnel } from '../tunnel/harness.ts';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

const CLIENTS = 100;

let harness: ClusterHarness;

beforeAll(async () => {
  harness = await startClusterHarness();
});

afterAll(async () => {
  await harness?.stop();
});

const connectFrame = encodeSimpleFrame({ type: CommandType.CONNECT, connect: { client_version: 'health-check', protocol_version: 21 } });

/** What one hang-up client saw: the frames it read, until its socket closed. */
async function sendAndHangUp(tunnel: TestTunnel, bytes: Buffer): Promise<{ frames: DecodedFrame[]; closed: Promise<void> }> {
  const socket = net.connect({ host: tunnel.host, port: tunnel.port, allowHalfOpen: true });
  const frames: DecodedFrame[] = [];
  const reader = new FrameReader();
  socket.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
  socket.on('error', () => undefined);
  const closed = once<void>(socket, 'close', 30_000).then(() => undefined);
  await once(socket, 'connect', 5_000);
  // One write carrying the request and the FIN, as `printf ... | nc` would do it.
  socket.end(bytes);
  return { frames, closed };
}

/** Connections open at the brokers (ATS holds one to a broker for each tunnel connection). */
function openAtBrokers(): number {
  return harness.cluster.stats().reduce((sum, broker) => sum + broker.connectionsOpen, 0);
}

async function expectAllClosed(tunnel: TestTunnel): Promise<void> {
  const before = openAtBrokers();
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => sendAndHangUp(tunnel, connectFrame)));
  await withDeadline(Promise.all(clients.map((client) => client.closed)), 20_000, `${CLIENTS} local sockets to close`);
  const closed = await eventually(() => {
    const events = tunnel.events.filter((event) => event.event === 'connection.closed');
    return events.length >= CLIENTS ? events : undefined;
  }, { timeoutMs: 10_000, what: `${CLIENTS} connection.closed events` });
  expect(closed.filter((event) => 'error' in event && event.error !== undefined)).toEqual([]);
  // Each one got the broker's answer before the close: nothing lost.
  expect(clients.filter((client) => client.frames[0]?.command.type !== CommandType.CONNECTED)).toEqual([]);
  expect(tunnel.tunnel.status().openConnections).toBe(0);
  await eventually(() => openAtBrokers() <= before, { timeoutMs: 5_000, what: 'no connection left open at the brokers' });
}

// A close timeout longer than every deadline here: what must close these connections is the FIN
// reaching the broker, which then closes its side, not the tunnel reaping half-dead peers.
const closeTimeoutMs = 120_000;

it(`closes ${CLIENTS} clients that send CONNECT and FIN together, with protocol inspection`, async () => {
  await expectAllClosed(await harness.tunnel({}, { closeTimeoutMs }));
}, 60_000);

it(`closes ${CLIENTS} clients that send CONNECT and FIN together, in raw mode`, async () => {
  await expectAllClosed(await harness.tunnel({ pulsarProtocol: 'raw' }, { closeTimeoutMs }));
}, 60_000);

it('answers a client that sends CONNECT, a LOOKUP and its FIN together, rewritten, then closes it', async () => {
  const tunnel = await harness.tunnel({}, { closeTimeoutMs });
  const topic = harness.cluster.topicOwnedBy('broker2.test', 'hang-up');
  // The broker answers CONNECTED and LOOKUP_RESPONSE, then closes on the client's FIN; the answer
  // names a broker the tunnel has no local port for yet, so it is rewritten once that port opens.
  const lookup = encodeSimpleFrame({ type: CommandType.LOOKUP, lookupTopic: { topic, request_id: 1, authoritative: false } });
  const client = await sendAndHangUp(tunnel, Buffer.concat([connectFrame, lookup]));
  await withDeadline(client.closed, 10_000, 'the local socket to close');
  expect(client.frames.map((frame) => frame.command.type)).toEqual([CommandType.CONNECTED, CommandType.LOOKUP_RESPONSE]);
  expect(String(subCommand(client.frames[1]!).brokerServiceUrl)).toMatch(/^pulsar:\/\/127\.0\.0\.1:\d+$/);
  const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed');
  expect(closed).not.toHaveProperty('error');
});
