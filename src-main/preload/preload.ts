/**
 * The preload of the sandboxed renderer: exposes exactly `window.tunnelApi`, one method per
 * TunnelApi method, over IPC, and nothing else (no ipcRenderer, no Node). Errors arrive as data
 * and are rejected as `{ name: 'AppError', code, message }` objects, because contextBridge keeps
 * only the message of a real Error; shared/errors.ts isAppError/deserializeError accept them.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { LogBatch, TunnelApi } from '../../shared/ipc/contract.ts';
import { apiMethods } from '../../shared/ipc/contract.ts';
import type { ApiMethod } from '../../shared/ipc/contract.ts';
import { logAckChannel, logBatchChannel, methodChannel, subscribeLogChannel, unsubscribeLogChannel } from './channels.ts';
import type { IpcReply } from './channels.ts';

/** Minimal surface of ipcRenderer the API needs (injected in tests). */
export type IpcRendererLike = Pick<typeof ipcRenderer, 'invoke' | 'send' | 'on' | 'removeListener'>;

/** Builds the object exposed as window.tunnelApi over `ipc`. */
export function createPreloadApi(ipc: IpcRendererLike): TunnelApi {
  const call = async (method: ApiMethod, args: unknown[]): Promise<unknown> => {
    // A trailing undefined (an omitted option) is dropped, as the HTTP client does.
    const trimmed = [...args];
    while (trimmed.length > 0 && trimmed[trimmed.length - 1] === undefined) trimmed.pop();
    const reply = (await ipc.invoke(methodChannel(method), ...trimmed)) as IpcReply;
    if (reply.ok) return reply.value;
    throw { name: 'AppError', code: reply.error.code, message: reply.error.message };
  };

  const listeners = new Set<(batch: LogBatch) => void>();
  const onBatch = (_event: IpcRendererEvent, batch: LogBatch): void => {
    for (const listener of listeners) {
      try {
        listener(batch);
      } catch {
        // A failing view must not stop the acknowledgements, or main would count the window as behind.
      }
    }
    ipc.send(logAckChannel);
  };

  const api = Object.fromEntries(apiMethods.map((method) => [method, (...args: unknown[]) => call(method, args)])) as unknown as TunnelApi;
  api.subscribeLog = (listener) => {
    listeners.add(listener);
    if (listeners.size === 1) {
      ipc.on(logBatchChannel, onBatch);
      ipc.send(subscribeLogChannel);
    }
    return () => {
      if (!listeners.delete(listener) || listeners.size > 0) return;
      ipc.removeListener(logBatchChannel, onBatch);
      ipc.send(unsubscribeLogChannel);
    };
  };
  return api;
}

contextBridge.exposeInMainWorld('tunnelApi', createPreloadApi(ipcRenderer));
