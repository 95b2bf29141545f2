/**
 * The Doctor's CONNECT step shows one duration, the CONNECT's: the CONNECT runs before the step
 * reports (its answer also decides the client-certificate step), so the step's own timer alone saw
 * 0 ms while its text named the real time. Real ATS, the token cluster; the token provider answers
 * after 300 ms, as a slow keychain would.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runDoctor } from '../../src-main/core/diagnostics/doctor.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { goodToken, startDoctorWorld, type DoctorWorld } from './doctorSetup.ts';

let world: DoctorWorld;
let ats: SniRouter;

beforeAll(async () => {
  world = await startDoctorWorld();
  ats = await startAts({ routes: world.cluster.sniRoutes() });
});

afterAll(async () => {
  await ats?.stop();
  await world?.stop();
});

it('reports the CONNECT time as the step duration, and no second time in its text', async () => {
  const slowToken = async () => {
    await delay(300);
    return goodToken;
  };
  const report = await runDoctor(world.config(ats, { auth: { kind: 'token', getToken: slowToken } }));
  const connect = report.steps.find((step) => step.name === 'pulsarConnect')!;
  expect(connect.status).toBe('ok');
  expect(connect.durationMs).toBeGreaterThanOrEqual(290);
  expect(connect.detail).not.toMatch(/\d+ ms/);
  // The CONNECT is counted once: the client-certificate step (skipped here) does not carry it too.
  expect(report.steps.find((step) => step.name === 'clientCertificate')!.durationMs).toBeLessThan(290);
});
