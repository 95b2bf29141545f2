/**
 * A lookup answer that names a broker only by its plain `pulsar://` URL (no brokerServiceUrlTls),
 * from a cluster behind a TLS-only SNI proxy. The tunnel reaches brokers as a TLS Pulsar client does,
 * which takes only the TLS URL, so routing and the Doctor give the same answer: the lookup cannot be
 * served, and why. (Routing once guessed a TLS port for the plain host while the Doctor failed.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runDoctor } from '../../src-main/core/diagnostics/doctor.ts';
import { testConfig } from '../tunnel/harness.ts';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;
const reason = /the cluster named the broker only by its plain pulsar:\/\/broker\d\.test:6650 \(no brokerServiceUrlTls\).*must advertise pulsar\+ssl:\/\//;

beforeAll(async () => {
  harness = await startClusterHarness({ cluster: { advertisedUrls: (host) => ({ serviceUrl: `pulsar://${host}:6650` }) } });
});

afterAll(async () => {
  await harness?.stop();
});

it('routing answers the client with a Failed lookup that says why, instead of a broker port for a guessed address', async () => {
  const tunnel = await harness.tunnel();
  const client = await harness.client(tunnel);
  await client.connect();
  const topic = 'persistent://public/default/plain-only';
  await expect(client.lookup(topic)).rejects.toThrow(/pulsar-tunnel PULSAR_LOOKUP_FAILED: The lookup of persistent:\/\/public\/default\/plain-only cannot be served: /);
  await expect(client.lookup(topic)).rejects.toThrow(reason);
  const lookup = await tunnel.waitForEvent((event) => event.event === 'pulsar.lookup');
  expect(lookup).toMatchObject({ topic, response: 'Failed', error: { code: 'PULSAR_LOOKUP_FAILED', message: expect.stringMatching(reason) } });
  expect(tunnel.events.some((event) => event.event === 'pulsar.brokerPort')).toBe(false);
});

it('the Doctor fails its lookup step with the same reason', async () => {
  const config = testConfig({ serviceHost: 'pulsar.test', router: harness.ats, caPem: harness.pki.ca.certPem, overrides: { pulsarProtocol: 'inspect' } });
  const report = await runDoctor(config, { topic: 'persistent://public/default/plain-only' });
  const step = report.steps.find((candidate) => candidate.status === 'failed');
  expect(step).toMatchObject({ name: 'lookup', code: 'PULSAR_LOOKUP_FAILED', detail: expect.stringMatching(reason) });
});
