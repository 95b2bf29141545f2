/**
 * With AuthenticationTls, the client certificate is the credential: the tunnel presents it in the
 * TLS handshake and tells the broker so in the CONNECT (auth method "tls").
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;

beforeAll(async () => {
  harness = await startClusterHarness({ cluster: { auth: { requireClientCert: true } } });
});

afterAll(async () => {
  await harness?.stop();
});

it('presents the client certificate and sends auth method "tls" for a client that sent no credentials', async () => {
  const developer = harness.pki.clients.developer!;
  const tunnel = await harness.tunnel({
    auth: { kind: 'tls' },
    tls: { caPem: harness.pki.ca.certPem, certPem: developer.certPem, keyPem: developer.keyPem, verifyHostname: true, allowInsecure: false },
  });
  const client = await harness.client(tunnel);
  await client.connect();
  const topic = harness.cluster.topicOwnedBy('broker3.test', 'mtls');
  const answer = await client.lookup(topic);
  expect(String(answer.brokerServiceUrl)).toMatch(/^pulsar:\/\/127\.0\.0\.1:\d+$/);
  const connect = harness.cluster.brokerStats('pulsar.test').connects.at(-1);
  expect(connect).toMatchObject({ authMethodName: 'tls', accepted: true, clientCertSubject: expect.stringContaining('developer') });
  expect(tunnel.events.find((event) => event.event === 'pulsar.connect')).toMatchObject({ authMethod: 'tls', authInjected: true });
});

it('is refused by a broker that requires a certificate when the profile has none, with the reason', async () => {
  const tunnel = await harness.tunnel();
  const client = await harness.client(tunnel);
  // The broker's alert comes after the TLS 1.3 handshake, once the CONNECT is on its way: the client
  // gets the ERROR a failed dial would have got.
  await expect(client.connect()).rejects.toThrow(/pulsar-tunnel TUNNEL_TLS_CLIENT_CERT_REJECTED: .*requires a client certificate/);
  const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed');
  expect(closed).toMatchObject({ error: { code: 'TUNNEL_TLS_CLIENT_CERT_REJECTED' } });
});
