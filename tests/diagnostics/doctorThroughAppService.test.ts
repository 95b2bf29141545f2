/**
 * TunnelApi.runDoctor: arguments validated at the edge, and AppService resolving a stored profile
 * (with its token from the store) and running the real Doctor through a real ATS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.ts';
import { parseApiArgs } from '../../shared/ipc/validate.ts';
import { AppService } from '../../src-main/core/service/appService.ts';
import { MemoryStore, sampleProfile, ScriptedRunner } from '../unit/core/service/memoryStore.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { goodToken, startDoctorWorld, type DoctorWorld } from './doctorSetup.ts';

describe('runDoctor arguments', () => {
  it('accepts a name alone, with null options, or with a topic and the idle check', () => {
    expect(parseApiArgs('runDoctor', ['prod'])).toEqual(['prod']);
    expect(parseApiArgs('runDoctor', ['prod', null])).toEqual(['prod']);
    expect(parseApiArgs('runDoctor', ['prod', { topic: 't', idleCheck: true }])).toEqual(['prod', { topic: 't', idleCheck: true }]);
  });

  it('refuses an empty topic, a non-boolean idle check and unknown options, naming the field', () => {
    const refusal = (args: unknown[]) => {
      try {
        parseApiArgs('runDoctor', args);
      } catch (error) {
        return error as AppError;
      }
      throw new Error('accepted');
    };
    expect(refusal(['prod', { topic: '' }])).toMatchObject({ code: 'API_BAD_REQUEST', message: expect.stringContaining('options.topic') });
    expect(refusal(['prod', { idleCheck: 'yes' }])).toMatchObject({ code: 'API_BAD_REQUEST', message: expect.stringContaining('options.idleCheck') });
    expect(refusal(['prod', { slow: true }])).toMatchObject({ code: 'API_BAD_REQUEST' });
    expect(refusal([42])).toMatchObject({ code: 'API_BAD_REQUEST', message: expect.stringContaining('name') });
  });
});

describe('AppService.runDoctor', () => {
  let world: DoctorWorld;
  let ats: SniRouter;
  let service: AppService;
  let store: MemoryStore;

  beforeAll(async () => {
    world = await startDoctorWorld();
    ats = await startAts({ routes: world.cluster.sniRoutes() });
    store = new MemoryStore();
    service = new AppService({ store, startTunnel: new ScriptedRunner().start });
    await store.save(
      sampleProfile('stored', {
        serviceUrl: 'pulsar+ssl://pulsar.test:6651',
        proxyServiceUrl: `pulsar+ssl://${ats.host}:${ats.port}`,
        tlsTrustCertsPem: world.pki.ca.certPem,
        auth: 'token',
        connectionTimeoutMs: 3000,
      }),
    );
    await store.setSecret('stored', 'token', goodToken);
  });

  afterAll(async () => {
    await service?.dispose();
    await ats?.stop();
    await world?.stop();
  });

  it('checks a stored profile with its token from the store, up to the broker that owns the topic', async () => {
    const topic = world.cluster.topicOwnedBy('broker1.test', 'app');
    const report = await service.runDoctor('stored', { topic });
    expect(report).toMatchObject({ profile: 'stored', ok: true });
    expect(report.steps.find((step) => step.name === 'brokerConnect')).toMatchObject({ status: 'ok', facts: { broker: 'broker1.test:6651' } });
    expect(world.cluster.brokerStats('broker1.test').connects.at(-1)).toMatchObject({ authMethodName: 'token', authData: goodToken, accepted: true });
  });

  it('rejects an unknown profile with PROFILE_NOT_FOUND', async () => {
    await expect(service.runDoctor('missing')).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
  });

  it('reports a failed profile step when the profile cannot be resolved', async () => {
    const locked = new MemoryStore();
    locked.tunnelConfig = async () => {
      throw new AppError('KEYCHAIN_LOCKED');
    };
    const lockedService = new AppService({ store: locked, startTunnel: new ScriptedRunner().start });
    try {
      const report = await lockedService.runDoctor('anything');
      expect(report).toMatchObject({ ok: false, failedStep: 'profile' });
      expect(report.steps[0]).toMatchObject({ status: 'failed', code: 'KEYCHAIN_LOCKED' });
    } finally {
      await lockedService.dispose();
    }
  });
});
