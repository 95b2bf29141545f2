/**
 * The Doctor against haproxy (mode tcp, req.ssl_sni) and nginx (ssl_preread): both close a name
 * without a route with 0 bytes instead of an alert, which the Doctor must still explain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src-main/core/diagnostics/doctor.ts';
import { startHaproxy, startNginx, type SniRouter } from '../fixtures/sniRouters.ts';
import { failedStep, startDoctorWorld, statuses, type DoctorWorld } from './doctorSetup.ts';

let world: DoctorWorld;
const routers: Partial<Record<'haproxy' | 'nginx', SniRouter>> = {};

beforeAll(async () => {
  world = await startDoctorWorld();
  const [haproxy, nginx] = await Promise.all([startHaproxy({ routes: world.cluster.sniRoutes() }), startNginx({ routes: world.cluster.sniRoutes() })]);
  routers.haproxy = haproxy;
  routers.nginx = nginx;
});

afterAll(async () => {
  await Promise.all(Object.values(routers).map((router) => router.stop()));
  await world?.stop();
});

describe.each(['haproxy', 'nginx'] as const)('doctor through %s', (kind) => {
  it('explains the close without an answer for a name without a route, naming the router settings', async () => {
    const report = await runDoctor(world.config(routers[kind]!, { serviceHost: 'unrouted.test' }));
    const step = failedStep(report);
    expect(step).toMatchObject({ name: 'tls', code: 'PROXY_ROUTE_DEAD' });
    expect(step.detail).toContain('"unrouted.test"');
    expect(step.fix).toContain('req.ssl_sni');
    expect(step.fix).toContain('ssl_preread');
    expect(statuses(report)).toMatchObject({ tcp: 'ok', certificate: 'skipped' });
  });

  it('passes every step up to the owning broker for a good profile', async () => {
    const topic = world.cluster.topicOwnedBy('broker1.test', kind);
    const report = await runDoctor(world.config(routers[kind]!), { topic });
    expect(report.ok).toBe(true);
    expect(statuses(report)).toMatchObject({ tls: 'ok', pulsarConnect: 'ok', lookup: 'ok', brokerConnect: 'ok' });
  });
});
