/**
 * A broker-initiated move (CLOSE_PRODUCER) that assigns a broker known only by its plain
 * `pulsar://` URL: the tunnel removes the assigned URLs instead of passing on an address the client
 * cannot reach (or guessing a TLS port), so the client looks the topic up again, as Pulsar clients
 * do when a close assigns no broker.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CommandType } from '../fixtures/pulsarCluster/protocol.ts';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;

beforeAll(async () => {
  // broker3 advertises no TLS URL; the others advertise both, as usual.
  harness = await startClusterHarness({ cluster: { advertisedUrls: (host) => (host === 'broker3.test' ? { serviceUrl: 'pulsar://broker3.test:6650' } : { serviceUrl: `pulsar://${host}:6650`, serviceUrlTls: `pulsar+ssl://${host}:6651` }) } });
});

afterAll(async () => {
  await harness?.stop();
});

it('strips an assigned broker the client could not reach, so the client looks the topic up again', async () => {
  const tunnel = await harness.tunnel();
  const lookupClient = await harness.client(tunnel);
  await lookupClient.connect();
  const topic = harness.cluster.topicOwnedBy('broker1.test', 'moved-to-plain');
  const answer = await lookupClient.lookup(topic);
  const client = await harness.client(tunnel, String(answer.brokerServiceUrl).replace('pulsar://', ''));
  await client.connect();
  await client.createProducer(topic, 1);
  await harness.cluster.moveProducer(topic, 'broker3.test');
  const close = await client.waitFor((frame) => frame.command.type === CommandType.CLOSE_PRODUCER, 'CLOSE_PRODUCER');
  const fields = close.command.close_producer as Record<string, unknown>;
  expect(fields.assignedBrokerServiceUrl ?? null).toBeNull();
  expect(fields.assignedBrokerServiceUrlTls ?? null).toBeNull();
  expect(tunnel.events.some((event) => event.event === 'pulsar.moved')).toBe(false);
});
