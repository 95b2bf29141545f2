/**
 * The Doctor's slow check: how long the proxy keeps a silent connection open, against ATS with a
 * 1 s no-activity timeout, compared with the profile's keepalive interval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src-main/core/diagnostics/doctor.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { startDoctorWorld, statuses, type DoctorWorld } from './doctorSetup.ts';

let world: DoctorWorld;
let shortAts: SniRouter;
let patientAts: SniRouter;

beforeAll(async () => {
  world = await startDoctorWorld();
  [shortAts, patientAts] = await Promise.all([
    startAts({ routes: world.cluster.sniRoutes(), idleTimeoutSeconds: 1 }),
    // The fixture's default: 3600 s.
    startAts({ routes: world.cluster.sniRoutes() }),
  ]);
});

afterAll(async () => {
  await Promise.all([shortAts?.stop(), patientAts?.stop()]);
  await world?.stop();
});

describe('doctor idle-timeout check', () => {
  it('measures an ATS idle timeout of 1 s and warns that the 20 s keepalive is not below it', async () => {
    const report = await runDoctor(world.config(shortAts, { keepAliveIntervalSeconds: 20 }), { idleCheck: true, idleCheckMaxSeconds: 10 });
    const step = report.steps.find((candidate) => candidate.name === 'idleTimeout')!;
    expect(step).toMatchObject({ status: 'warning', code: 'PROXY_IDLE_TIMEOUT_SHORT' });
    expect(step.facts?.idleTimeoutSeconds).toBeGreaterThanOrEqual(0.5);
    expect(step.facts?.idleTimeoutSeconds).toBeLessThan(5);
    expect(step.durationMs).toBeLessThan(8_000);
    expect(step.detail).toContain('not below it');
    expect(step.fix).toContain('transaction_no_activity_timeout_in');
    expect(step.fix).toMatch(/Set keepAliveIntervalSeconds below \d+ s/);
    // A warning is not a failure.
    expect(report.ok).toBe(true);
  });

  it('reports the connection still open when the proxy outlasts the check', async () => {
    const report = await runDoctor(world.config(patientAts), { idleCheck: true, idleCheckMaxSeconds: 1 });
    expect(statuses(report)).toMatchObject({ pulsarConnect: 'ok', idleTimeout: 'ok' });
    const step = report.steps.find((candidate) => candidate.name === 'idleTimeout')!;
    expect(step.detail).toContain('stayed open for 1 s');
    expect(step.facts).toMatchObject({ idleTimeoutSeconds: '>1' });
  });
});
