/**
 * The IPC channel names between the preload and the main process's handlers. Plain constants, so
 * the sandboxed preload and main share them without sharing anything else.
 */
import type { ApiMethod } from '../../shared/ipc/contract.ts';

/** `ipcRenderer.invoke` channel of one TunnelApi method. */
export function methodChannel(method: ApiMethod): string {
  return `tunnelApi:${method}`;
}

/** Renderer → main: start sending log batches to this window. */
export const subscribeLogChannel = 'tunnelApi:log:subscribe';
/** Renderer → main: stop sending log batches. */
export const unsubscribeLogChannel = 'tunnelApi:log:unsubscribe';
/** Main → renderer: one LogBatch. */
export const logBatchChannel = 'tunnelApi:log:batch';
/** Renderer → main: a batch was delivered (flow control: main keeps few batches in flight). */
export const logAckChannel = 'tunnelApi:log:ack';

/** What every invoke channel answers: errors cross as data, since Electron keeps only an Error's message. */
export type IpcReply = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };
