/**
 * ATS closes an idle tunnel after its no-activity timeout (30 s by default, 1 s here). The tunnel's
 * own PINGs keep an idle Pulsar connection open through it; without them ATS closes it. Here ATS
 * allows 2 s of silence and the tunnel pings after 1 s, leaving a margin for a loaded machine.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../fixtures/deadline.ts';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;

beforeAll(async () => {
  harness = await startClusterHarness({ ats: { idleTimeoutSeconds: 2 } });
});

afterAll(async () => {
  await harness?.stop();
});

it('without keep-alives, ATS ends an idle connection after its idle timeout: PROXY_CONNECTION_LOST, no PING sent, not the broker\'s doing', async () => {
  const tunnel = await harness.tunnel({ keepAliveIntervalSeconds: 0 });
  const client = await harness.client(tunnel, undefined, { answerPings: false });
  await client.connect();
  const connectionId = harness.cluster.brokerStats('pulsar.test').connects.at(-1)!.connectionId;
  const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed', 15_000);
  // Why it closed: the proxy ended the idle tunnel without a TLS close from the broker
  // (PROXY_CONNECTION_LOST), no sooner than ATS's 2 s of silence, with no PING sent by the tunnel,
  // and not the broker's doing (it closed no connection for an unanswered keepalive and saw no
  // protocol error).
  expect(closed).toMatchObject({ event: 'connection.closed', error: { code: 'PROXY_CONNECTION_LOST' } });
  expect(closed.durationMs).toBeGreaterThanOrEqual(2000);
  const stats = harness.cluster.brokerStats('pulsar.test');
  expect(stats.commands[18] ?? 0).toBe(0);
  expect(stats.keepAliveTimeouts).toBe(0);
  expect(stats.protocolErrors.filter((record) => record.connectionId === connectionId)).toEqual([]);
  // The client sees its connection end, as a client of a proxy that timed it out does.
  await client.closed;
  expect(client.isOpen).toBe(false);
});

it('with keep-alives, an idle connection outlives the proxy\'s idle timeout and its PONGs never reach the client', async () => {
  const tunnel = await harness.tunnel({ keepAliveIntervalSeconds: 1 });
  const client = await harness.client(tunnel, undefined, { answerPings: false });
  await client.connect();
  const connectionId = harness.cluster.brokerStats('pulsar.test').connects.at(-1)!.connectionId;
  // Wait (on the broker's own count, not a clock) until the tunnel has pinged five times: over
  // five seconds of client silence, more than twice what ATS allows.
  await eventually(() => (harness.cluster.brokerStats('pulsar.test').commands[18] ?? 0) >= 5 || undefined, { timeoutMs: 20_000, what: 'five keep-alive PINGs' });
  expect(tunnel.events.filter((event) => event.event === 'connection.closed')).toHaveLength(0);
  expect(harness.cluster.brokerStats('pulsar.test').connects.at(-1)!.connectionId).toBe(connectionId);
  // The tunnel swallowed the PONGs to its own PINGs: the client has seen none so far.
  expect(client.received.filter((frame) => frame.command.type === 19)).toHaveLength(0);
  // The connection still works, and the client gets its own PONG.
  await client.ping();
  expect(client.received.filter((frame) => frame.command.type === 19)).toHaveLength(1);
  await client.lookup(harness.cluster.topicOwnedBy('broker2.test', 'alive'));
});
