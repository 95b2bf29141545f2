/**
 * Payloads stream through protocol inspection intact: multi-MiB SEND and MESSAGE frames, written
 * in pieces by the broker, keep their checksums end to end through the tunnel and a real ATS.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;

beforeAll(async () => {
  // The brokers cut every frame they write into pieces, so frames cross TLS records and reads.
  harness = await startClusterHarness({ cluster: { frameWrites: 'split', subscriptionsFromEarliest: true } });
});

afterAll(async () => {
  await harness?.stop();
});

it('carries messages of up to 4 MiB both ways with their checksums intact', async () => {
  const tunnel = await harness.tunnel();
  const lookupClient = await harness.client(tunnel);
  await lookupClient.connect();
  const topic = harness.cluster.topicOwnedBy('broker2.test', 'large');
  const answer = await lookupClient.lookup(topic);
  const brokerAddress = String(answer.brokerServiceUrl).replace('pulsar://', '');
  const client = await harness.client(tunnel, brokerAddress);
  await client.connect();
  await client.createProducer(topic, 1);
  const payloads = [1, 512 * 1024, 3 * 1024 * 1024 + 17, 4 * 1024 * 1024].map((size) => randomBytes(size));
  for (const [index, payload] of payloads.entries()) await client.sendMessage(1, index, payload);
  expect(harness.cluster.brokerStats('broker2.test').checksumFailures).toBe(0);
  expect(harness.cluster.messages(topic).map((message) => message.payload.length)).toEqual(payloads.map((payload) => payload.length));

  await client.subscribe(topic, 'large', 7);
  client.flow(7, payloads.length);
  const received = await client.receive(7, payloads.length);
  const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex');
  expect(received.every((frame) => frame.payload!.checksumValid)).toBe(true);
  expect(received.map((frame) => digest(frame.payload!.payload))).toEqual(payloads.map(digest));
});
