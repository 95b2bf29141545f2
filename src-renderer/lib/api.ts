/**
 * The renderer's one way to reach the engine. In Electron the preload exposes `window.tunnelApi`;
 * in a browser (the web host, `pulsar-tunnel ui`) the same TunnelApi is spoken over HTTP for
 * requests and a WebSocket for the live log. This module is the only reader of window.tunnelApi.
 */
import { AppError, deserializeError, type SerializedError } from '../../shared/errors.ts';
import type { ApiMethod, LogBatch, TunnelApi } from '../../shared/ipc/contract.ts';
import { logSocketProtocols, sessionTokenStorageKey } from '../../shared/ipc/webSession.ts';

declare global {
  interface Window {
    /** Set by the Electron preload (src-main/preload); absent in a plain browser. */
    tunnelApi?: TunnelApi;
  }
}

/** Where the tab keeps the web host's session token (the one-time link's page puts it there). */
export const tokenStorageKey = sessionTokenStorageKey;

/** The browser objects the token hand-off touches; injected so tests can pass their own. */
export interface TokenSources {
  location: Pick<Location, 'search' | 'href'>;
  history: Pick<History, 'replaceState' | 'state'>;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
}

/**
 * Reads the web host's session token from sessionStorage, where the web host's one-time link page
 * stores it (src-main/host/webHost.ts). A `?token=` in the address, which the web host no longer
 * sends, is still taken and dropped from the address bar so it is not bookmarked or shared by
 * accident. Returns undefined when there is none.
 */
export function takeToken(sources: TokenSources): string | undefined {
  const url = new URL(sources.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sources.storage.setItem(tokenStorageKey, fromUrl);
    url.searchParams.delete('token');
    sources.history.replaceState(sources.history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sources.storage.getItem(tokenStorageKey) ?? undefined;
}

/** A WebSocket constructor as far as the log stream needs it: the URL and the subprotocols offered. */
export type WebSocketFactory = (url: string, protocols: string[]) => WebSocket;

export interface HttpApiOptions {
  /** The web host's origin, e.g. http://127.0.0.1:4321 */
  origin: string;
  token: string;
  fetch?: typeof fetch;
  webSocket?: WebSocketFactory;
  /** First reconnect delay of the log stream, doubled per failure up to maxReconnectMs. */
  reconnectMs?: number;
  maxReconnectMs?: number;
}

interface ApiReply {
  ok: boolean;
  value?: unknown;
  error?: SerializedError;
}

/**
 * A TunnelApi over the web host's protocol: `POST /api/<method>` with `{"args": [...]}` and
 * `Authorization: Bearer <token>`, answered by `{"ok": true, "value"}` or `{"ok": false, "error"}`;
 * the live log is a WebSocket at `/api/log` carrying one JSON LogBatch per message. A browser's
 * WebSocket cannot send Authorization, and the token stays out of the URL (logs keep URLs), so the
 * socket offers it as a subprotocol beside the log's own (shared/ipc/webSession.ts).
 * Every method rejects with an AppError (API_UNAUTHORIZED for a refused token, API_UNREACHABLE when
 * the host does not answer, or the host's own error rebuilt from its code).
 */
export function createHttpApi(options: HttpApiOptions): TunnelApi {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const openSocket = options.webSocket ?? ((url: string, protocols: string[]) => new WebSocket(url, protocols));
  // Set when the host answers 401: a token is made for one start of the host, so once refused no
  // retry with it can succeed (a restarted pulsar-tunnel ui made a new one). The live log stops
  // reconnecting then; a browser's WebSocket never sees the 401 of a refused upgrade itself.
  let tokenRefused = false;

  async function call(method: ApiMethod, args: unknown[]): Promise<unknown> {
    // JSON turns a trailing `undefined` into null, which the host's validators would refuse.
    const trimmed = [...args];
    while (trimmed.length > 0 && trimmed[trimmed.length - 1] === undefined) trimmed.pop();
    let response: Response;
    try {
      response = await doFetch(`${options.origin}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.token}` },
        body: JSON.stringify({ args: trimmed }),
      });
    } catch (cause) {
      throw new AppError('API_UNREACHABLE', undefined, { cause });
    }
    if (response.status === 401) tokenRefused = true;
    let reply: ApiReply | undefined;
    try {
      reply = (await response.json()) as ApiReply;
    } catch {
      reply = undefined;
    }
    if (reply && reply.ok === false && reply.error) throw deserializeError(reply.error);
    if (response.status === 401 || response.status === 403) throw new AppError('API_UNAUTHORIZED');
    if (!response.ok || !reply || reply.ok !== true) {
      throw new AppError('API_UNREACHABLE', `The app's engine answered HTTP ${response.status} to ${method}; reload the page or restart pulsar-tunnel ui.`);
    }
    return reply.value;
  }

  function subscribeLog(listener: (batch: LogBatch) => void): () => void {
    const wsOrigin = options.origin.replace(/^http/, 'ws');
    const url = `${wsOrigin}/api/log`;
    const protocols = logSocketProtocols(options.token);
    const firstDelay = options.reconnectMs ?? 250;
    const maxDelay = options.maxReconnectMs ?? 5_000;
    let delay = firstDelay;
    let closed = false;
    let socket: WebSocket | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const connect = () => {
      if (closed) return;
      socket = openSocket(url, protocols);
      socket.onopen = () => {
        delay = firstDelay;
      };
      socket.onmessage = (message: MessageEvent) => {
        if (typeof message.data !== 'string') return;
        let batch: LogBatch;
        try {
          batch = JSON.parse(message.data) as LogBatch;
        } catch {
          return; // A malformed frame is skipped; the next one still counts.
        }
        if (!Array.isArray(batch.events)) return;
        listener({ events: batch.events, dropped: typeof batch.dropped === 'number' ? batch.dropped : 0 });
      };
      socket.onclose = () => {
        socket = undefined;
        if (closed || tokenRefused) return;
        // Back off so a host that is down is not hammered, but come back quickly after a blip.
        timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, maxDelay);
      };
      socket.onerror = () => {
        // onclose follows every error and schedules the reconnect.
      };
    };
    connect();

    return () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      socket?.close();
      socket = undefined;
    };
  }

  const api: TunnelApi = {
    listProfiles: (...args) => call('listProfiles', args) as ReturnType<TunnelApi['listProfiles']>,
    saveProfile: (...args) => call('saveProfile', args) as ReturnType<TunnelApi['saveProfile']>,
    duplicateProfile: (...args) => call('duplicateProfile', args) as ReturnType<TunnelApi['duplicateProfile']>,
    removeProfile: (...args) => call('removeProfile', args) as ReturnType<TunnelApi['removeProfile']>,
    setSecret: (...args) => call('setSecret', args) as ReturnType<TunnelApi['setSecret']>,
    keychainStatus: (...args) => call('keychainStatus', args) as ReturnType<TunnelApi['keychainStatus']>,
    importProfiles: (...args) => call('importProfiles', args) as ReturnType<TunnelApi['importProfiles']>,
    exportProfiles: (...args) => call('exportProfiles', args) as ReturnType<TunnelApi['exportProfiles']>,
    startTunnel: (...args) => call('startTunnel', args) as ReturnType<TunnelApi['startTunnel']>,
    stopTunnel: (...args) => call('stopTunnel', args) as ReturnType<TunnelApi['stopTunnel']>,
    restartTunnel: (...args) => call('restartTunnel', args) as ReturnType<TunnelApi['restartTunnel']>,
    tunnelStatus: (...args) => call('tunnelStatus', args) as ReturnType<TunnelApi['tunnelStatus']>,
    listenPortAdvice: (...args) => call('listenPortAdvice', args) as ReturnType<TunnelApi['listenPortAdvice']>,
    snippets: (...args) => call('snippets', args) as ReturnType<TunnelApi['snippets']>,
    runDoctor: (...args) => call('runDoctor', args) as ReturnType<TunnelApi['runDoctor']>,
    runDoctorOnDraft: (...args) => call('runDoctorOnDraft', args) as ReturnType<TunnelApi['runDoctorOnDraft']>,
    subscribeLog,
  };
  return api;
}

/**
 * The API for this page: the preload's object in Electron, otherwise the web host's HTTP client.
 * Throws AppError API_UNAUTHORIZED when neither a preload nor a session token is present.
 */
export function resolveApi(win: Window = window): TunnelApi {
  if (win.tunnelApi) return win.tunnelApi;
  const token = takeToken({ location: win.location, history: win.history, storage: win.sessionStorage });
  if (!token) throw new AppError('API_UNAUTHORIZED');
  return createHttpApi({ origin: win.location.origin, token });
}

/**
 * Like resolveApi, but a page with neither a preload nor a token and `?demo[=eventsPerSecond]`
 * (optionally `&rows=N` prefilled connections) in its URL gets the in-memory demo (lib/demo.ts,
 * loaded on demand) instead of an error.
 * @throws AppError API_UNAUTHORIZED when there is no preload, no token and no demo request.
 */
export async function chooseApi(win: Window = window): Promise<TunnelApi> {
  const demo = new URL(win.location.href).searchParams.get('demo');
  const hasToken = new URL(win.location.href).searchParams.has('token') || win.sessionStorage.getItem(tokenStorageKey) !== null;
  if (!win.tunnelApi && !hasToken && demo !== null) {
    const { createDemoApi } = await import('./demo.ts');
    return createDemoApi(Number(demo) || 0, Number(new URL(win.location.href).searchParams.get('rows')) || 0);
  }
  return resolveApi(win);
}
