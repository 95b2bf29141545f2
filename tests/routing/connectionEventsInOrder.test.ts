/**
 * The log tells each connection's story in order: `connection.opened` is its first event and
 * `connection.closed` its last, whatever happens in between (a CONNECT the tunnel reads and logs as
 * `pulsar.connect` before it knows where to dial, a refused CONNECT, a client that leaves early).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TunnelEvent } from '../../shared/model/events.ts';
import { eventually } from '../fixtures/deadline.ts';
import { CommandType, encodeSimpleFrame } from '../fixtures/pulsarCluster/protocol.ts';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;

beforeAll(async () => {
  harness = await startClusterHarness();
});

afterAll(async () => {
  await harness?.stop();
});

/** The events that belong to one connection (those with its id), in the order they were emitted. */
function byConnection(events: readonly TunnelEvent[]): Map<number, string[]> {
  const stories = new Map<number, string[]>();
  for (const event of events) {
    if (!('id' in event) || typeof event.id !== 'number') continue;
    stories.set(event.id, [...(stories.get(event.id) ?? []), event.event]);
  }
  return stories;
}

it('logs connection.opened before pulsar.connect and anything else of the same connection, and connection.closed last', async () => {
  const tunnel = await harness.tunnel();
  const served = await harness.client(tunnel);
  served.writeRaw(encodeSimpleFrame({ type: CommandType.CONNECT, connect: { client_version: 'ordered', protocol_version: 21 } }));
  await served.waitFor((frame) => frame.command.type === CommandType.CONNECTED, 'CONNECTED');
  const refused = await harness.client(tunnel);
  refused.writeRaw(encodeSimpleFrame({ type: CommandType.CONNECT, connect: { client_version: 'ordered', protocol_version: 21, proxy_to_broker_url: 'unknown.test:6651' } }));
  await refused.waitFor((frame) => frame.command.type === CommandType.ERROR, 'the ERROR for an unknown broker');
  await served.close();
  await refused.close();
  await eventually(() => tunnel.events.filter((event) => event.event === 'connection.closed').length === 2 || undefined, { timeoutMs: 10_000, what: 'both connections to close' });

  const stories = byConnection(tunnel.events);
  expect(stories.size).toBe(2);
  // The served connection (the first id) logged its CONNECT; the refused one is told and closed.
  expect([...stories.values()][0]).toContain('pulsar.connect');
  for (const story of stories.values()) {
    expect(story[0]).toBe('connection.opened');
    expect(story.at(-1)).toBe('connection.closed');
  }
});
