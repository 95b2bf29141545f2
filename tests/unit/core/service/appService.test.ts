import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../../shared/errors.ts';
import type { LogBatch } from '../../../../shared/ipc/contract.ts';
import { AppService } from '../../../../src-main/core/service/appService.ts';
import type { HealthChange } from '../../../../src-main/core/service/appService.ts';
import { eventually } from '../../../fixtures/deadline.ts';
import { connectionEvents, MemoryStore, sampleProfile, ScriptedRunner } from './memoryStore.ts';

let service: AppService | undefined;

afterEach(async () => {
  await service?.dispose();
  service = undefined;
});

async function setup(options: { subscriberCapacity?: number; historySize?: number; maxBatch?: number } = {}) {
  const store = new MemoryStore();
  const runner = new ScriptedRunner();
  service = new AppService({ store, startTunnel: runner.start, ...options });
  await service.saveProfile(sampleProfile('alpha'));
  return { store, runner, service };
}

describe('AppService tunnels', () => {
  it('starts a tunnel through starting to running and reports its addresses', async () => {
    const { service, runner } = await setup();
    const changes: HealthChange[] = [];
    service.onHealth((change) => changes.push(change));
    const status = await service.startTunnel('alpha');
    expect(status.state).toBe('running');
    expect(status.listen?.pulsar).toBe('127.0.0.1:40000');
    expect(runner.latest('alpha').config.service).toEqual({ host: 'pulsar.example.test', port: 6651 });
    expect(changes.map((change) => `${change.previous}->${change.status.state}`)).toEqual(['stopped->starting', 'starting->running']);
    const [view] = await service.listProfiles();
    expect(view?.tunnel.state).toBe('running');
  });

  it('starting a running tunnel again returns its status without a second tunnel', async () => {
    const { service, runner } = await setup();
    await Promise.all([service.startTunnel('alpha'), service.startTunnel('alpha')]);
    await service.startTunnel('alpha');
    expect(runner.tunnels).toHaveLength(1);
  });

  it('a failed start rejects with the engine code and keeps it as lastError', async () => {
    const { service, runner } = await setup();
    runner.failWith = new AppError('TUNNEL_LISTEN_IN_USE', 'port 6650 is in use');
    await expect(service.startTunnel('alpha')).rejects.toMatchObject({ code: 'TUNNEL_LISTEN_IN_USE' });
    const [status] = await service.tunnelStatus();
    expect(status).toMatchObject({ state: 'stopped', lastError: { code: 'TUNNEL_LISTEN_IN_USE', message: 'port 6650 is in use' } });
    expect((await service.startTunnel('alpha')).state).toBe('running');
  });

  it('starting an unknown profile rejects with PROFILE_NOT_FOUND', async () => {
    const { service } = await setup();
    await expect(service.startTunnel('nope')).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
  });

  it('turns failing when a connection fails before TLS and running again when one gets through', async () => {
    const { service, runner } = await setup();
    const changes: HealthChange[] = [];
    await service.startTunnel('alpha');
    service.onHealth((change) => changes.push(change));
    const tunnel = runner.latest('alpha');
    for (const event of connectionEvents('alpha', { code: 'TUNNEL_TLS_UNTRUSTED', message: 'untrusted' })) tunnel.emit(event);
    expect(service.statusOf('alpha')).toMatchObject({ state: 'failing', lastError: { code: 'TUNNEL_TLS_UNTRUSTED' } });
    for (const event of connectionEvents('alpha')) tunnel.emit(event);
    expect(service.statusOf('alpha').state).toBe('running');
    expect(changes.map((change) => `${change.previous}->${change.status.state}`)).toEqual(['running->failing', 'failing->running']);
  });

  it('counts a secured connection as getting through only once the broker answers it', async () => {
    const { service, runner } = await setup();
    await service.startTunnel('alpha');
    const tunnel = runner.latest('alpha');
    for (const event of connectionEvents('alpha', { code: 'TUNNEL_TLS_UNTRUSTED', message: 'untrusted' })) tunnel.emit(event);
    const tls = { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', peerSubject: 'CN=pulsar.example.test', peerValidTo: new Date().toISOString() };
    tunnel.emit({ event: 'connection.opened', id: 900, time: new Date().toISOString(), profile: 'alpha', listener: 'pulsar', local: '127.0.0.1:5555', sni: 'pulsar.example.test', proxy: 'proxy.example.test:4443' });
    tunnel.emit({ event: 'connection.secured', id: 900, tls, handshakeMs: 5 });
    expect(service.statusOf('alpha').state).toBe('failing');
    tunnel.emit({ event: 'connection.progress', id: 900, bytesUp: 60, bytesDown: 0 });
    expect(service.statusOf('alpha').state).toBe('failing');
    tunnel.emit({ event: 'connection.progress', id: 900, bytesUp: 60, bytesDown: 40 });
    expect(service.statusOf('alpha').state).toBe('running');
  });

  it('stays running when an established connection is reset by its peer', async () => {
    const { service, runner } = await setup();
    await service.startTunnel('alpha');
    for (const event of connectionEvents('alpha', { code: 'TUNNEL_PEER_RESET', message: 'reset' }, true)) runner.latest('alpha').emit(event);
    expect(service.statusOf('alpha').state).toBe('running');
  });

  it('turns failing on a listener error', async () => {
    const { service, runner } = await setup();
    await service.startTunnel('alpha');
    runner.latest('alpha').emit({ event: 'listener.error', listener: 'pulsar', error: { code: 'TUNNEL_LISTEN_FAILED', message: 'accept failed' } });
    expect(service.statusOf('alpha')).toMatchObject({ state: 'failing', lastError: { code: 'TUNNEL_LISTEN_FAILED' } });
  });

  it('turns failing, naming the code, when a listener reaches its connection cap', async () => {
    const { service, runner } = await setup();
    await service.startTunnel('alpha');
    runner.latest('alpha').emit({ event: 'listener.full', listener: 'http', address: '127.0.0.1:8080', limit: 128, refused: 2, evicted: 0, error: { code: 'TUNNEL_CONNECTION_LIMIT', message: 'full' } });
    expect(service.statusOf('alpha')).toMatchObject({ state: 'failing', lastError: { code: 'TUNNEL_CONNECTION_LIMIT' } });
  });

  it('stops every tunnel on dispose and refuses to start afterwards', async () => {
    const { service, runner } = await setup();
    await service.saveProfile(sampleProfile('beta'));
    await Promise.all([service.startTunnel('alpha'), service.startTunnel('beta')]);
    await service.dispose();
    expect(runner.tunnels.every((tunnel) => tunnel.disposed)).toBe(true);
    await expect(service.startTunnel('alpha')).rejects.toMatchObject({ code: 'TUNNEL_INTERNAL' });
  });

  it('stops a tunnel through stopping, disposing the engine tunnel', async () => {
    const { service, runner } = await setup();
    await service.startTunnel('alpha');
    const changes: string[] = [];
    service.onHealth((change) => changes.push(change.status.state));
    const status = await service.stopTunnel('alpha');
    expect(status.state).toBe('stopped');
    expect(runner.latest('alpha').disposed).toBe(true);
    expect(changes).toEqual(['stopping', 'stopped']);
    expect(await service.tunnelStatus()).toEqual([]);
  });

  it('removing a profile stops its tunnel first', async () => {
    const { service, runner, store } = await setup();
    await service.startTunnel('alpha');
    await service.removeProfile('alpha');
    expect(runner.latest('alpha').disposed).toBe(true);
    expect(store.profiles.has('alpha')).toBe(false);
  });

  it('refuses to rename a profile whose tunnel runs', async () => {
    const { service } = await setup();
    await service.startTunnel('alpha');
    await expect(service.saveProfile(sampleProfile('beta'), { previousName: 'alpha' })).rejects.toMatchObject({ code: 'PROFILE_INVALID' });
  });

  it('auto-starts the profiles marked autoStart and reports the ones that fail', async () => {
    const { service, runner } = await setup();
    await service.saveProfile(sampleProfile('beta', { autoStart: true }));
    await service.saveProfile(sampleProfile('gamma', { autoStart: true, serviceUrl: 'pulsar+ssl://gamma.test:6651' }));
    runner.failWith = new AppError('TUNNEL_LISTEN_IN_USE');
    const result = await service.autoStart();
    expect(result.started.length + result.failed.length).toBe(2);
    expect(result.failed).toHaveLength(1);
    expect(service.statusOf('alpha').state).toBe('stopped');
  });

  it('gives snippets with the running address, and the configured one when stopped', async () => {
    const { service } = await setup();
    await service.saveProfile(sampleProfile('beta', { listen: { port: 7777 } }));
    expect((await service.snippets('beta')).serviceUrl).toBe('pulsar://127.0.0.1:7777');
    await service.startTunnel('alpha');
    const snippets = await service.snippets('alpha');
    expect(snippets.serviceUrl).toBe('pulsar://127.0.0.1:40000');
    expect(snippets.clientConf).toContain('brokerServiceUrl=pulsar://127.0.0.1:40000');
  });
});

describe('AppService log', () => {
  it('delivers events stamped with profile and increasing seq, in batches of at most maxBatch', async () => {
    const { service, runner } = await setup({ maxBatch: 100 });
    await service.startTunnel('alpha');
    const batches: LogBatch[] = [];
    service.subscribeLog((batch) => batches.push(batch));
    const tunnel = runner.latest('alpha');
    for (let index = 0; index < 85; index += 1) for (const event of connectionEvents('alpha')) tunnel.emit(event);
    await eventually(() => batches.reduce((sum, batch) => sum + batch.events.length, 0) === 255, { timeoutMs: 2000, what: '255 events' });
    const events = batches.flatMap((batch) => batch.events);
    expect(batches.every((batch) => batch.events.length <= 100 && batch.dropped === 0)).toBe(true);
    expect(events.every((event) => event.profile === 'alpha')).toBe(true);
    expect(events.map((event) => event.seq)).toEqual([...events.map((event) => event.seq)].sort((a, b) => a - b));
  });

  it('drops the oldest events of a subscriber that is not ready and counts them', async () => {
    const { service, runner } = await setup({ subscriberCapacity: 100, historySize: 1 });
    await service.startTunnel('alpha');
    let ready = false;
    const batches: LogBatch[] = [];
    service.subscribeLog((batch) => batches.push(batch), { ready: () => ready, replay: false });
    const tunnel = runner.latest('alpha');
    for (let index = 0; index < 100; index += 1) for (const event of connectionEvents('alpha')) tunnel.emit(event);
    service.flushLog();
    expect(batches).toEqual([]);
    ready = true;
    service.flushLog();
    expect(batches.reduce((sum, batch) => sum + batch.dropped, 0)).toBe(200);
    const events = batches.flatMap((batch) => batch.events);
    expect(events).toHaveLength(100);
    expect(events.at(-1)?.event).toBe('connection.closed');
  });

  it('a slow subscriber does not hold back a fast one', async () => {
    const { service, runner } = await setup({ subscriberCapacity: 10 });
    await service.startTunnel('alpha');
    const fast: LogBatch[] = [];
    service.subscribeLog(() => undefined, { ready: () => false });
    service.subscribeLog((batch) => fast.push(batch));
    for (let index = 0; index < 20; index += 1) for (const event of connectionEvents('alpha')) runner.latest('alpha').emit(event);
    service.flushLog();
    expect(fast.flatMap((batch) => batch.events)).toHaveLength(10);
  });

  it('replays recent history to a new subscriber and stops delivering after unsubscribe', async () => {
    const { service, runner } = await setup();
    await service.startTunnel('alpha');
    for (const event of connectionEvents('alpha')) runner.latest('alpha').emit(event);
    const batches: LogBatch[] = [];
    const unsubscribe = service.subscribeLog((batch) => batches.push(batch));
    service.flushLog();
    expect(batches.flatMap((batch) => batch.events).map((event) => event.event)).toEqual(['connection.opened', 'connection.secured', 'connection.closed']);
    unsubscribe();
    for (const event of connectionEvents('alpha')) runner.latest('alpha').emit(event);
    service.flushLog();
    expect(batches).toHaveLength(1);
  });

  it('passes unknown event kinds through unchanged', async () => {
    const { service, runner } = await setup();
    await service.startTunnel('alpha');
    const batches: LogBatch[] = [];
    service.subscribeLog((batch) => batches.push(batch), { replay: false });
    runner.latest('alpha').emit({ event: 'pulsar.lookup', topic: 't' } as never);
    service.flushLog();
    expect(batches[0]?.events[0]).toMatchObject({ event: 'pulsar.lookup', topic: 't', profile: 'alpha' });
  });
});
