/**
 * The lookup half of the Doctor through ATS: redirects between brokers are followed, and a broker
 * the lookup names but the proxy does not route (the classic "lookup works, producing fails") is
 * explained with the sni.yaml entry to add.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src-main/core/diagnostics/doctor.ts';
import { startPulsarCluster, type PulsarTestCluster } from '../fixtures/pulsarCluster/cluster.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { brokerHosts, failedStep, goodToken, startDoctorWorld, statuses, type DoctorWorld } from './doctorSetup.ts';

let world: DoctorWorld;
let chained: PulsarTestCluster;
let chainedAts: SniRouter;
let chainedWithoutBroker1: SniRouter;
let withoutBroker3: SniRouter;

beforeAll(async () => {
  world = await startDoctorWorld();
  chained = await startPulsarCluster({ brokers: brokerHosts, serviceHost: 'pulsar.test', pki: world.pki, auth: { token: goodToken }, redirectChains: true });
  [chainedAts, chainedWithoutBroker1, withoutBroker3] = await Promise.all([
    startAts({ routes: chained.sniRoutes() }),
    startAts({ routes: chained.sniRoutes().filter((route) => route.fqdn !== 'broker1.test') }),
    startAts({ routes: world.cluster.sniRoutes().filter((route) => route.fqdn !== 'broker3.test') }),
  ]);
});

afterAll(async () => {
  await Promise.all([chainedAts?.stop(), chainedWithoutBroker1?.stop(), withoutBroker3?.stop()]);
  await chained?.stop();
  await world?.stop();
});

describe('doctor lookup', () => {
  it('follows a redirect to another broker and connects to the owner', async () => {
    const topic = chained.topicOwnedBy('broker3.test', 'chain');
    const report = await runDoctor(world.config(chainedAts), { topic });
    expect(statuses(report)).toMatchObject({ lookup: 'ok', brokerConnect: 'ok' });
    const lookup = report.steps.find((step) => step.name === 'lookup')!;
    expect(lookup.facts).toMatchObject({ brokerServiceUrlTls: 'pulsar+ssl://broker3.test:6651', redirects: ['broker1.test:6651'] });
    expect(lookup.detail).toContain('after redirects via broker1.test:6651');
  });

  it('names the redirect target the proxy does not route', async () => {
    const topic = chained.topicOwnedBy('broker3.test', 'chain-unrouted');
    const step = failedStep(await runDoctor(world.config(chainedWithoutBroker1), { topic }));
    expect(step).toMatchObject({ name: 'lookup', code: 'PROXY_NO_ROUTE' });
    expect(step.detail).toContain('Following the redirect to broker1.test:6651');
    expect(step.fix).toContain("- fqdn: 'broker1.test'");
  });

  it('explains a broker the lookup names but the proxy does not route, and adds it to the generated sni.yaml', async () => {
    const topic = world.cluster.topicOwnedBy('broker3.test', 'unrouted-owner');
    const report = await runDoctor(world.config(withoutBroker3), { topic });
    expect(statuses(report)).toMatchObject({ pulsarConnect: 'ok', lookup: 'ok' });
    const step = failedStep(report);
    expect(step).toMatchObject({ name: 'brokerConnect', code: 'PROXY_NO_ROUTE' });
    expect(step.detail).toContain('"broker3.test"');
    expect(step.fix).toContain("- fqdn: 'broker3.test'\n  tunnel_route: 'broker3.test:6651'");
    expect(report.proxyConfig?.atsSniYaml).toContain("- fqdn: 'broker3.test'");
  });

  it('fails the lookup step with the broker\'s reason for an invalid topic name', async () => {
    const step = failedStep(await runDoctor(world.config(chainedAts), { topic: 'persistent://only-two/parts' }));
    expect(step).toMatchObject({ name: 'lookup', code: 'PULSAR_LOOKUP_FAILED' });
    expect(step.detail).toContain('InvalidTopicName: Invalid topic name: persistent://only-two/parts');
  });
});
