/**
 * The Doctor checks every broker it knows of through ATS, not only the service host that answers
 * CONNECT: with one of the three brokers down it fails and names that broker, whether the broker
 * was named by the caller (the app passes the brokers its tunnel saw) or revealed by a lookup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src-main/core/diagnostics/doctor.ts';
import { startPulsarCluster, type PulsarTestCluster } from '../fixtures/pulsarCluster/cluster.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { brokerHosts, failedStep, goodToken, startDoctorWorld, statuses, type DoctorWorld } from './doctorSetup.ts';

let world: DoctorWorld;
let ats: SniRouter;
let downCluster: PulsarTestCluster;
let downAts: SniRouter;
const allBrokers = brokerHosts.map((host) => `${host}:6651`);

beforeAll(async () => {
  world = await startDoctorWorld();
  // A second cluster whose broker2 is stopped after ATS learned its route: the route ends at a dead port.
  downCluster = await startPulsarCluster({ brokers: brokerHosts, serviceHost: 'pulsar.test', pki: world.pki, auth: { token: goodToken } });
  [ats, downAts] = await Promise.all([startAts({ routes: world.cluster.sniRoutes() }), startAts({ routes: downCluster.sniRoutes() })]);
  await downCluster.stopBroker('broker2.test');
}, 120_000);

afterAll(async () => {
  await Promise.all([ats?.stop(), downAts?.stop()]);
  await downCluster?.stop();
  await world?.stop();
});

describe('the Doctor and every broker', () => {
  it('passes when every broker the caller names answers CONNECTED with its own SNI', async () => {
    const report = await runDoctor(world.config(ats), { brokers: allBrokers });
    expect(report.ok).toBe(true);
    const step = report.steps.find((candidate) => candidate.name === 'brokers')!;
    expect(step.status).toBe('ok');
    expect(step.facts).toMatchObject({ checked: allBrokers, failing: [] });
    // Each broker saw a CONNECT over a TLS session whose SNI was its own name.
    for (const host of brokerHosts) {
      expect(world.cluster.brokerStats(host).connects.some((connect) => connect.servername === host && connect.accepted)).toBe(true);
    }
  });

  it('fails with one broker down and names it, though the service host answers', async () => {
    const report = await runDoctor(world.config(downAts), { brokers: allBrokers });
    expect(report.ok).toBe(false);
    expect(statuses(report)).toMatchObject({ pulsarConnect: 'ok', brokers: 'failed' });
    const step = failedStep(report);
    expect(step.name).toBe('brokers');
    expect(step.code).toBe('PROXY_ROUTE_DEAD');
    expect(step.detail).toMatch(/^1 of 3 brokers failed\. broker2\.test:6651 \(PROXY_ROUTE_DEAD\): /);
    expect(step.detail).not.toContain('broker1.test');
    expect(step.facts).toMatchObject({ failing: ['broker2.test:6651'] });
    expect(step.fix).toContain('broker2.test');
  });

  it('checks the brokers a lookup reveals too: a topic on a live broker does not hide a redirect to a dead one', async () => {
    // Without brokers from the caller, the lookup's owner is the one broker known; it is up.
    const topic = downCluster.topicOwnedBy('broker1.test', 'every-broker');
    const upOnly = await runDoctor(world.config(downAts), { topic });
    expect(statuses(upOnly)).toMatchObject({ lookup: 'ok', brokerConnect: 'ok', brokers: 'skipped' });
    expect(upOnly.ok).toBe(true);
    // With the brokers named, the same run fails on broker2.
    const named = await runDoctor(world.config(downAts), { topic, brokers: allBrokers });
    expect(failedStep(named)).toMatchObject({ name: 'brokers', facts: { checked: ['broker2.test:6651', 'broker3.test:6651'], failing: ['broker2.test:6651'] } });
  });

  it('says no broker is known when neither a topic nor brokers are given', async () => {
    const report = await runDoctor(world.config(downAts));
    const step = report.steps.find((candidate) => candidate.name === 'brokers')!;
    expect(step.status).toBe('skipped');
    expect(step.detail).toContain('No broker known yet');
  });

  it('refuses a broker entry that is not host:port', async () => {
    await expect(runDoctor(world.config(ats), { brokers: ['not a broker'] })).rejects.toMatchObject({ code: 'PROFILE_INVALID' });
  });
});
