/**
 * Lookup answers come from the network, and each new broker they name costs the tunnel a local
 * listener for its whole lifetime. A cluster (or anything in its place) that answers every lookup
 * with a new broker address gets at most 256 of them; the next lookup is answered
 * Failed with TUNNEL_BROKER_LIMIT, and the client's connection carries on.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;
let n = 0;

beforeAll(async () => {
  // Every answer names a broker never seen before.
  harness = await startClusterHarness({ cluster: { advertisedUrls: () => ({ serviceUrlTls: `pulsar+ssl://b${n++}.elsewhere.test:6651` }) } });
});

afterAll(async () => {
  await harness?.stop();
});

it('opens ports for at most 256 brokers, then answers lookups Failed with TUNNEL_BROKER_LIMIT', async () => {
  const tunnel = await harness.tunnel();
  const client = await harness.client(tunnel);
  await client.connect();
  for (let i = 0; i < 256; i++) await client.lookup(`persistent://public/default/t${i}`);
  const topic = 'persistent://public/default/one-too-many';
  await expect(client.lookup(topic)).rejects.toThrow(/pulsar-tunnel TUNNEL_BROKER_LIMIT: .*256 brokers/);
  const refused = await tunnel.waitForEvent((event) => event.event === 'pulsar.lookup' && event.topic === topic);
  expect(refused).toMatchObject({ response: 'Failed', error: { code: 'TUNNEL_BROKER_LIMIT' } });
  expect(tunnel.events.filter((event) => event.event === 'pulsar.brokerPort')).toHaveLength(256);
  expect(tunnel.tunnel.status().brokers).toHaveLength(256);
  // The connection still serves: the next lookup is answered (Failed again, for the same reason).
  await expect(client.lookup(`${topic}-2`)).rejects.toThrow(/TUNNEL_BROKER_LIMIT/);
});
