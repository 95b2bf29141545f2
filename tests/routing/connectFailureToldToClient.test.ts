/**
 * When the tunnel cannot serve a client's CONNECT (the proxy has no route, the broker's certificate
 * is not trusted, an unknown broker was asked for), the client gets a Pulsar ERROR carrying the
 * tunnel's code and explanation, so its own log says what to fix.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;

beforeAll(async () => {
  harness = await startClusterHarness();
});

afterAll(async () => {
  await harness?.stop();
});

it('answers CONNECT with an ERROR naming PROXY_NO_ROUTE when the proxy has no route for the service host', async () => {
  const tunnel = await harness.tunnel({ service: { host: 'unrouted.test', port: 6651 } });
  const client = await harness.client(tunnel);
  await expect(client.connect()).rejects.toThrow(/pulsar-tunnel PROXY_NO_ROUTE: .*unrouted\.test/);
  const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed');
  expect(closed).toMatchObject({ error: { code: 'PROXY_NO_ROUTE' } });
});

it('answers CONNECT with an ERROR naming TUNNEL_TLS_UNTRUSTED for a broker certificate from an unknown CA', async () => {
  const tunnel = await harness.tunnel({ tls: { caPem: harness.pki.otherCa.certPem, verifyHostname: true, allowInsecure: false } });
  const client = await harness.client(tunnel);
  await expect(client.connect()).rejects.toThrow(/pulsar-tunnel TUNNEL_TLS_UNTRUSTED: .*tlsTrustCertsFilePath/);
});

it('answers CONNECT with an ERROR naming PULSAR_UNKNOWN_BROKER for a proxy_to_broker_url no lookup named', async () => {
  const tunnel = await harness.tunnel();
  const client = await harness.client(tunnel);
  await expect(client.connect({ proxyToBrokerUrl: 'nowhere.test:6651' })).rejects.toThrow(/pulsar-tunnel PULSAR_UNKNOWN_BROKER/);
});
