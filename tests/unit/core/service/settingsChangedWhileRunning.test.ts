/**
 * A running tunnel keeps the settings it started with. When the saved profile (or one of its
 * secrets) changes, the status says so (`pendingChanges`), and restartTunnel applies the saved
 * settings, keeping the port a profile on port 0 had.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AppService } from '../../../../src-main/core/service/appService.ts';
import { MemoryStore, sampleProfile, ScriptedRunner } from './memoryStore.ts';

let service: AppService | undefined;

afterEach(async () => {
  await service?.dispose();
  service = undefined;
});

async function runningAlpha() {
  const store = new MemoryStore();
  const runner = new ScriptedRunner();
  service = new AppService({ store, startTunnel: runner.start });
  await service.saveProfile(sampleProfile('alpha'));
  await service.startTunnel('alpha');
  return { store, runner, service };
}

describe('settings saved while a tunnel runs', () => {
  it('a running tunnel with unchanged settings has no pending changes, also after saving the same profile', async () => {
    const { service } = await runningAlpha();
    expect(service.statusOf('alpha').pendingChanges).toBeUndefined();
    const saved = await service.saveProfile(sampleProfile('alpha'), { previousName: 'alpha' });
    expect(saved.tunnel.pendingChanges).toBeUndefined();
  });

  it('saving another proxy port marks the running tunnel as pending, in the saved view and in every status after', async () => {
    const { service, runner } = await runningAlpha();
    const saved = await service.saveProfile(sampleProfile('alpha', { proxyServiceUrl: 'pulsar+ssl://proxy.example.test:5443' }), { previousName: 'alpha' });
    expect(saved.tunnel).toMatchObject({ state: 'running', pendingChanges: true });
    expect((await service.tunnelStatus())[0]).toMatchObject({ pendingChanges: true });
    // The tunnel itself still runs with what it started with.
    expect(runner.latest('alpha').config.proxy).toMatchObject({ port: 4443 });
  });

  it('saving the old settings back clears the pending mark', async () => {
    const { service } = await runningAlpha();
    await service.saveProfile(sampleProfile('alpha', { keepAliveIntervalSeconds: 5 }), { previousName: 'alpha' });
    const back = await service.saveProfile(sampleProfile('alpha'), { previousName: 'alpha' });
    expect(back.tunnel.pendingChanges).toBeUndefined();
  });

  it('an edit by another process (the store hands out a new frozen entry) shows as pending in the next listing, and its undo clears it', async () => {
    const { service, store } = await runningAlpha();
    const original = store.profiles.get('alpha')!;
    // The store's listing gives the same frozen object while the file is unchanged.
    store.profiles.set('alpha', Object.freeze({ ...original }));
    expect((await service.listProfiles())[0]!.tunnel.pendingChanges).toBeUndefined();
    expect((await service.listProfiles())[0]!.tunnel.pendingChanges).toBeUndefined();
    store.profiles.set('alpha', Object.freeze({ ...original, keepAliveIntervalSeconds: 5 }));
    expect((await service.listProfiles())[0]!.tunnel.pendingChanges).toBe(true);
    expect((await service.listProfiles())[0]!.tunnel.pendingChanges).toBe(true);
    store.profiles.set('alpha', Object.freeze({ ...original }));
    expect((await service.listProfiles())[0]!.tunnel.pendingChanges).toBeUndefined();
  });

  it('a secret set while the tunnel runs marks it as pending', async () => {
    const { service } = await runningAlpha();
    await service.setSecret('alpha', 'token', 'new-token');
    expect(service.statusOf('alpha').pendingChanges).toBe(true);
  });

  it('restartTunnel starts a new tunnel with the saved settings on the same local port, and clears the mark', async () => {
    const { service, runner } = await runningAlpha();
    const first = runner.latest('alpha');
    await service.saveProfile(sampleProfile('alpha', { proxyServiceUrl: 'pulsar+ssl://proxy.example.test:5443' }), { previousName: 'alpha' });
    const status = await service.restartTunnel('alpha');
    expect(first.disposed).toBe(true);
    const second = runner.latest('alpha');
    expect(second).not.toBe(first);
    expect(second.config.proxy).toMatchObject({ port: 5443 });
    // Listen port 0 means "any free port": the restart asks for the one the tunnel had.
    expect(first.config.listen.port).toBe(0);
    expect(second.config.listen.port).toBe(40000);
    expect(status).toMatchObject({ state: 'running', listen: { pulsar: '127.0.0.1:40000' } });
    expect(status.pendingChanges).toBeUndefined();
  });

  it('restartTunnel of a stopped profile starts it', async () => {
    const { service } = await runningAlpha();
    await service.stopTunnel('alpha');
    expect((await service.restartTunnel('alpha')).state).toBe('running');
  });

  it('a stopped profile never reports pending changes', async () => {
    const { service } = await runningAlpha();
    await service.stopTunnel('alpha');
    await service.saveProfile(sampleProfile('alpha', { keepAliveIntervalSeconds: 5 }), { previousName: 'alpha' });
    expect(service.statusOf('alpha').pendingChanges).toBeUndefined();
  });
});
