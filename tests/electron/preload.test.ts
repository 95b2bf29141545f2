import { beforeEach, describe, expect, it, vi } from 'vitest';
import { apiMethods } from '../../shared/ipc/contract.ts';
import type { LogBatch } from '../../shared/ipc/contract.ts';
import { isAppError } from '../../shared/errors.ts';

const electron = vi.hoisted(() => {
  const listeners = new Map<string, (event: unknown, ...args: unknown[]) => void>();
  return {
    listeners,
    exposed: [] as [string, unknown][],
    contextBridge: { exposeInMainWorld: (key: string, value: unknown) => void electron.exposed.push([key, value]) },
    ipcRenderer: {
      invoke: vi.fn(),
      send: vi.fn(),
      on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) => void listeners.set(channel, listener),
      removeListener: (channel: string) => void listeners.delete(channel),
    },
  };
});

vi.mock('electron', () => ({ contextBridge: electron.contextBridge, ipcRenderer: electron.ipcRenderer }));

await import('../../src-main/preload/preload.ts');
const { logAckChannel, logBatchChannel, subscribeLogChannel, unsubscribeLogChannel } = await import('../../src-main/preload/channels.ts');

type Api = Record<string, (...args: unknown[]) => unknown>;

beforeEach(() => {
  electron.ipcRenderer.invoke.mockReset();
  electron.ipcRenderer.send.mockReset();
});

describe('preload', () => {
  it('exposes exactly window.tunnelApi with one function per API method and subscribeLog', () => {
    expect(electron.exposed.map(([key]) => key)).toEqual(['tunnelApi']);
    const api = electron.exposed[0]![1] as Api;
    expect(Object.keys(api).sort()).toEqual([...apiMethods, 'subscribeLog'].sort());
    expect(Object.values(api).every((value) => typeof value === 'function')).toBe(true);
  });

  it('invokes the method channel and resolves with the value', async () => {
    const api = electron.exposed[0]![1] as Api;
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: { state: 'running' } });
    await expect(api.startTunnel!('alpha')).resolves.toEqual({ state: 'running' });
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith('tunnelApi:startTunnel', 'alpha');
  });

  it('drops an omitted trailing option and rejects with an AppError-shaped object carrying the code', async () => {
    const api = electron.exposed[0]![1] as Api;
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: false, error: { code: 'PROFILE_NOT_FOUND', message: 'No profile "x".' } });
    const failure = await (api.saveProfile!({ name: 'x' }, undefined) as Promise<unknown>).catch((error: unknown) => error);
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith('tunnelApi:saveProfile', { name: 'x' });
    expect(isAppError(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'PROFILE_NOT_FOUND', message: 'No profile "x".' });
  });

  it('subscribes to the log once, acknowledges each batch, and unsubscribes with the last listener', () => {
    const api = electron.exposed[0]![1] as { subscribeLog: (listener: (batch: LogBatch) => void) => () => void };
    const first: LogBatch[] = [];
    const second: LogBatch[] = [];
    const stopFirst = api.subscribeLog((batch) => first.push(batch));
    const stopSecond = api.subscribeLog((batch) => second.push(batch));
    expect(electron.ipcRenderer.send.mock.calls).toEqual([[subscribeLogChannel]]);
    const batch: LogBatch = { events: [], dropped: 3 };
    electron.listeners.get(logBatchChannel)!({}, batch);
    expect(first).toEqual([batch]);
    expect(second).toEqual([batch]);
    expect(electron.ipcRenderer.send).toHaveBeenLastCalledWith(logAckChannel);
    stopFirst();
    expect(electron.ipcRenderer.send).not.toHaveBeenCalledWith(unsubscribeLogChannel);
    stopSecond();
    expect(electron.ipcRenderer.send).toHaveBeenLastCalledWith(unsubscribeLogChannel);
    expect(electron.listeners.has(logBatchChannel)).toBe(false);
  });
});
