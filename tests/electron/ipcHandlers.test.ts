import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogBatch } from '../../shared/ipc/contract.ts';
import { apiMethods } from '../../shared/ipc/contract.ts';
import { AppService } from '../../src-main/core/service/appService.ts';
import { connectionEvents, MemoryStore, sampleProfile, ScriptedRunner } from '../unit/core/service/memoryStore.ts';

vi.mock('electron', () => ({}));

const { isTrustedFrame, maxBatchesInFlight, registerIpcHandlers } = await import('../../src-main/electron/ipcHandlers.ts');
const { logAckChannel, logBatchChannel, methodChannel, subscribeLogChannel } = await import('../../src-main/preload/channels.ts');

const pageUrl = 'file:///opt/pulsar-tunnel/out/renderer/index.html';
const ownFrame = { url: pageUrl, parent: null };

type Handler = (event: unknown, ...args: unknown[]) => unknown;

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  const listeners = new Map<string, Handler>();
  return {
    handlers,
    listeners,
    ipcMain: {
      handle: (channel: string, handler: Handler) => void handlers.set(channel, handler),
      removeHandler: (channel: string) => void handlers.delete(channel),
      on: (channel: string, handler: Handler) => void listeners.set(channel, handler),
      removeListener: (channel: string) => void listeners.delete(channel),
    },
  };
}

function fakeSender() {
  const sent: LogBatch[] = [];
  let destroyedHandler: (() => void) | undefined;
  return {
    sent,
    destroy: () => destroyedHandler?.(),
    contents: {
      isDestroyed: () => false,
      send: (channel: string, batch: LogBatch) => {
        if (channel === logBatchChannel) sent.push(batch);
      },
      once: (name: string, handler: () => void) => {
        if (name === 'destroyed') destroyedHandler = handler;
      },
    },
  };
}

let service: AppService | undefined;
let remove: (() => void) | undefined;

afterEach(async () => {
  remove?.();
  await service?.dispose();
  service = undefined;
});

async function setup() {
  const runner = new ScriptedRunner();
  service = new AppService({ store: new MemoryStore(), startTunnel: runner.start });
  await service.saveProfile(sampleProfile('alpha'));
  const fake = fakeIpcMain();
  remove = registerIpcHandlers({ ipcMain: fake.ipcMain as never, api: service, pageUrl });
  const invoke = (method: string, frame: unknown, ...args: unknown[]) => fake.handlers.get(`tunnelApi:${method}`)!({ senderFrame: frame }, ...args);
  return { runner, service, fake, invoke };
}

describe('IPC handlers', () => {
  it('register one handler per API method', async () => {
    const { fake } = await setup();
    expect([...fake.handlers.keys()].sort()).toEqual(apiMethods.map((method) => methodChannel(method)).sort());
  });

  it('answer calls from our own page with the value', async () => {
    const { invoke } = await setup();
    expect(await invoke('startTunnel', ownFrame, 'alpha')).toMatchObject({ ok: true, value: { state: 'running' } });
    expect(await invoke('listProfiles', ownFrame)).toMatchObject({ ok: true, value: [{ profile: { name: 'alpha' } }] });
  });

  it('refuse a foreign frame, an iframe and a missing frame without touching the engine', async () => {
    const { invoke, runner } = await setup();
    for (const frame of [{ url: 'https://evil.example/', parent: null }, { url: pageUrl, parent: ownFrame }, null, { url: 'file:///tmp/index.html', parent: null }]) {
      expect(await invoke('startTunnel', frame, 'alpha')).toMatchObject({ ok: false, error: { code: 'API_UNAUTHORIZED' } });
    }
    expect(runner.tunnels).toHaveLength(0);
  });

  it('refuse malformed arguments with API_BAD_REQUEST naming the field', async () => {
    const { invoke } = await setup();
    expect(await invoke('startTunnel', ownFrame, { name: 'alpha' })).toMatchObject({ ok: false, error: { code: 'API_BAD_REQUEST', message: expect.stringMatching(/^startTunnel: name: /) } });
    expect(await invoke('setSecret', ownFrame, 'alpha', 'password', 'x')).toMatchObject({ ok: false, error: { code: 'API_BAD_REQUEST' } });
  });

  it('return engine errors as codes', async () => {
    const { invoke } = await setup();
    expect(await invoke('stopTunnel', ownFrame, 'alpha')).toMatchObject({ ok: true });
    expect(await invoke('snippets', ownFrame, 'missing')).toMatchObject({ ok: false, error: { code: 'PROFILE_NOT_FOUND' } });
  });

  it('checks frames by URL and main-frame-ness', () => {
    expect(isTrustedFrame(ownFrame as never, pageUrl)).toBe(true);
    expect(isTrustedFrame({ url: `${pageUrl}#x`, parent: null } as never, pageUrl)).toBe(true);
    expect(isTrustedFrame(undefined, pageUrl)).toBe(false);
  });
});

describe('IPC log subscription', () => {
  it('sends batches to a subscribed window and holds them while too many are unacknowledged', async () => {
    const { fake, runner, service } = await setup();
    await service.startTunnel('alpha');
    const sender = fakeSender();
    fake.listeners.get(subscribeLogChannel)!({ senderFrame: ownFrame, sender: sender.contents });
    for (let batch = 0; batch < maxBatchesInFlight + 2; batch += 1) {
      for (const event of connectionEvents('alpha')) runner.latest('alpha').emit(event);
      service.flushLog();
    }
    expect(sender.sent).toHaveLength(maxBatchesInFlight);
    fake.listeners.get(logAckChannel)!({ senderFrame: ownFrame, sender: sender.contents });
    service.flushLog();
    expect(sender.sent).toHaveLength(maxBatchesInFlight + 1);
    expect(sender.sent.flatMap((batch) => batch.events).every((event) => event.profile === 'alpha')).toBe(true);
  });

  it('ignores a subscription from a foreign frame', async () => {
    const { fake, runner, service } = await setup();
    await service.startTunnel('alpha');
    const sender = fakeSender();
    fake.listeners.get(subscribeLogChannel)!({ senderFrame: { url: 'https://evil.example/', parent: null }, sender: sender.contents });
    for (const event of connectionEvents('alpha')) runner.latest('alpha').emit(event);
    service.flushLog();
    expect(sender.sent).toHaveLength(0);
  });

  it('ends the subscription when the window is destroyed', async () => {
    const { fake, runner, service } = await setup();
    await service.startTunnel('alpha');
    const sender = fakeSender();
    fake.listeners.get(subscribeLogChannel)!({ senderFrame: ownFrame, sender: sender.contents });
    sender.destroy();
    for (const event of connectionEvents('alpha')) runner.latest('alpha').emit(event);
    service.flushLog();
    expect(sender.sent).toHaveLength(0);
  });
});
