/**
 * A client that honours proxy_through_service_url (as the Java, C++ and Go clients do) reaches
 * every broker through the tunnel's main port only: the tunnel maps proxy_to_broker_url back to the
 * broker, picks its SNI, and strips the field before the broker sees it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { produceViaServiceUrl } from '../fixtures/pulsarCluster/proxyAwareClient.ts';
import { brokerHosts, startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;
const token = 'proxy-aware-token';

beforeAll(async () => {
  harness = await startClusterHarness({ cluster: { auth: { token }, rejectProxyFields: true, redirectChains: true } });
});

afterAll(async () => {
  await harness?.stop();
});

it('reaches every broker through the main port only, following redirects, with proxy_to_broker_url stripped', async () => {
  const tunnel = await harness.tunnel({ auth: { kind: 'token', getToken: async () => token } });
  for (const host of brokerHosts) {
    const topic = harness.cluster.topicOwnedBy(host, `proxy-aware-${host}`);
    const result = await produceViaServiceUrl({ host: tunnel.host, port: tunnel.port }, topic, [Buffer.from(`via main port to ${host}`)], {
      consume: { subscription: 'check', count: 1 },
    });
    expect(new Set(result.addressesDialled)).toEqual(new Set([`${tunnel.host}:${tunnel.port}`]));
    expect(result.lookups.every((lookup) => lookup.proxyThroughServiceUrl)).toBe(true);
    expect(result.proxyToBrokerUrlsSent.filter(Boolean).length).toBeGreaterThan(0);
    expect(result.received.map(String)).toEqual([`via main port to ${host}`]);
    expect(harness.cluster.messages(topic).map((message) => message.storedBy)).toEqual([host]);
  }
  for (const host of brokerHosts) {
    const stats = harness.cluster.brokerStats(host);
    expect(stats.producers.every((producer) => producer.accepted)).toBe(true);
    for (const connect of stats.connects) expect(connect).toMatchObject({ servername: host, proxyToBrokerUrlPresent: false, authMethodName: 'token', accepted: true });
  }
  // Redirect chains were followed through the tunnel.
  expect(tunnel.events.some((event) => event.event === 'pulsar.lookup' && event.response === 'Redirect')).toBe(true);
});

it('refuses a proxy_to_broker_url that no lookup named, closing only that connection', async () => {
  const tunnel = await harness.tunnel({ auth: { kind: 'token', getToken: async () => token } });
  const stranger = await harness.client(tunnel);
  await expect(stranger.connect({ proxyToBrokerUrl: 'evil.example:6651' })).rejects.toThrow();
  const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed');
  expect(closed).toMatchObject({ error: { code: 'PULSAR_UNKNOWN_BROKER' } });
  // The tunnel still serves others.
  const good = await harness.client(tunnel);
  await good.connect();
  expect(await good.lookup(harness.cluster.topicOwnedBy('broker2.test', 'after-stranger'))).toMatchObject({});
});
