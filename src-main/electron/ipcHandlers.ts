/**
 * The main-process side of the preload's `window.tunnelApi`: one `ipcMain.handle` per API method
 * and the log subscription. Every message is checked twice before it reaches the engine: the
 * sender must be our own page in the main frame (Electron security checklist 17, "validate the
 * sender of all IPC messages"), and the arguments are parsed at runtime (shared/ipc/validate.ts).
 */
import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents, WebFrameMain } from 'electron';
import { AppError } from '../../shared/errors.ts';
import { apiMethods } from '../../shared/ipc/contract.ts';
import { parseApiArgs } from '../../shared/ipc/validate.ts';
import type { HostedApi } from '../core/service/appService.ts';
import { serializeError } from '../core/service/serializeError.ts';
import { logAckChannel, logBatchChannel, methodChannel, subscribeLogChannel, unsubscribeLogChannel } from '../preload/channels.ts';
import type { IpcReply } from '../preload/channels.ts';

/** Batches sent to a window and not yet acknowledged before the window counts as behind. */
export const maxBatchesInFlight = 4;

/**
 * True when `frame` is the main frame of our own page: the URL of out/renderer/index.html (query
 * and hash aside). Anything else (a navigated or injected page, an iframe, a missing frame) is refused.
 */
export function isTrustedFrame(frame: WebFrameMain | null | undefined, pageUrl: string): boolean {
  if (!frame || frame.parent !== null) return false;
  try {
    const url = new URL(frame.url);
    const expected = new URL(pageUrl);
    return url.protocol === expected.protocol && url.host === expected.host && url.pathname === expected.pathname;
  } catch {
    return false;
  }
}

/** Options of {@link registerIpcHandlers}. */
export interface IpcHandlersOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler' | 'on' | 'removeListener'>;
  api: HostedApi;
  /** The URL of our page (file:///.../out/renderer/index.html). */
  pageUrl: string;
}

/**
 * Registers the handlers. @returns a function that removes them and ends every log subscription.
 */
export function registerIpcHandlers(options: IpcHandlersOptions): () => void {
  const { ipcMain, api, pageUrl } = options;
  const subscriptions = new Map<WebContents, { unsubscribe: () => void; inFlight: number }>();

  for (const method of apiMethods) {
    ipcMain.handle(methodChannel(method), async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<IpcReply> => {
      try {
        if (!isTrustedFrame(event.senderFrame, pageUrl)) {
          throw new AppError('API_UNAUTHORIZED', `${method}: refused a call from a page that is not pulsar-tunnel's own.`);
        }
        const parsed = parseApiArgs(method, args);
        const call = api[method] as (...values: unknown[]) => Promise<unknown>;
        return { ok: true, value: (await call.apply(api, parsed)) ?? null };
      } catch (error) {
        return { ok: false, error: serializeError(error) };
      }
    });
  }

  const unsubscribe = (contents: WebContents): void => {
    const subscription = subscriptions.get(contents);
    if (!subscription) return;
    subscription.unsubscribe();
    subscriptions.delete(contents);
  };

  const onSubscribe = (event: IpcMainEvent): void => {
    if (!isTrustedFrame(event.senderFrame, pageUrl)) return;
    const contents = event.sender;
    if (subscriptions.has(contents)) return;
    const subscription = { inFlight: 0, unsubscribe: () => undefined as void };
    subscription.unsubscribe = api.subscribeLog(
      (batch) => {
        if (contents.isDestroyed()) return unsubscribe(contents);
        subscription.inFlight += 1;
        contents.send(logBatchChannel, batch);
      },
      // A window that does not acknowledge its batches is behind: the service queues (bounded) and drops the oldest.
      { ready: () => !contents.isDestroyed() && subscription.inFlight < maxBatchesInFlight },
    );
    subscriptions.set(contents, subscription);
    contents.once('destroyed', () => unsubscribe(contents));
  };
  const onUnsubscribe = (event: IpcMainEvent): void => {
    if (isTrustedFrame(event.senderFrame, pageUrl)) unsubscribe(event.sender);
  };
  const onAck = (event: IpcMainEvent): void => {
    if (!isTrustedFrame(event.senderFrame, pageUrl)) return;
    const subscription = subscriptions.get(event.sender);
    if (subscription && subscription.inFlight > 0) subscription.inFlight -= 1;
  };
  ipcMain.on(subscribeLogChannel, onSubscribe);
  ipcMain.on(unsubscribeLogChannel, onUnsubscribe);
  ipcMain.on(logAckChannel, onAck);

  return () => {
    for (const method of apiMethods) ipcMain.removeHandler(methodChannel(method));
    ipcMain.removeListener(subscribeLogChannel, onSubscribe);
    ipcMain.removeListener(unsubscribeLogChannel, onUnsubscribe);
    ipcMain.removeListener(logAckChannel, onAck);
    for (const contents of [...subscriptions.keys()]) unsubscribe(contents);
  };
}
