// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../shared/errors.ts';
import type { LogBatch } from '../../../shared/ipc/contract.ts';
import { createHttpApi, resolveApi, takeToken, tokenStorageKey } from '../../../src-renderer/lib/api.ts';
import { FakeTunnelApi } from '../../../src-renderer/lib/fakeApi.ts';

interface Recorded {
  url: string;
  init: RequestInit;
}

/** A fetch that records requests and answers from a queue. */
function recordingFetch(answers: (Response | Error)[]) {
  const requests: Recorded[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    requests.push({ url, init });
    const answer = answers.shift();
    if (!answer) throw new Error('no answer queued');
    if (answer instanceof Error) throw answer;
    return answer;
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

/** A WebSocket stand-in the test drives by hand. */
class ManualSocket {
  static opened: ManualSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: MessageEvent) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    ManualSocket.opened.push(this);
  }
  open() {
    this.onopen?.();
  }
  send(data: string) {
    this.onmessage?.({ data } as MessageEvent);
  }
  drop() {
    this.onclose?.();
  }
  close() {
    this.closed = true;
    this.onclose?.();
  }
}

afterEach(() => {
  ManualSocket.opened = [];
  vi.useRealTimers();
  sessionStorage.clear();
});

describe('takeToken', () => {
  it('reads the token from the URL, keeps it in sessionStorage and removes it from the address bar', () => {
    const replaced: string[] = [];
    const storage = new Map<string, string>();
    const token = takeToken({
      location: { href: 'http://127.0.0.1:4321/?token=abc123&x=1#log', search: '?token=abc123&x=1' },
      history: { state: null, replaceState: (_state: unknown, _title: string, url?: string | URL | null) => void replaced.push(String(url)) },
      storage: { getItem: (key) => storage.get(key) ?? null, setItem: (key, value) => void storage.set(key, value) },
    });
    expect(token).toBe('abc123');
    expect(storage.get(tokenStorageKey)).toBe('abc123');
    expect(replaced).toEqual(['/?x=1#log']);
  });

  it('falls back to sessionStorage after a reload without the token in the URL', () => {
    const token = takeToken({
      location: { href: 'http://127.0.0.1:4321/', search: '' },
      history: { state: null, replaceState: () => undefined },
      storage: { getItem: (key) => (key === tokenStorageKey ? 'kept' : null), setItem: () => undefined },
    });
    expect(token).toBe('kept');
  });
});

describe('resolveApi', () => {
  it('uses the Electron preload object when present', () => {
    const fake = new FakeTunnelApi();
    expect(resolveApi({ tunnelApi: fake } as unknown as Window)).toBe(fake);
  });

  it('refuses to start without a preload or a session token', () => {
    expect(() => resolveApi(window)).toThrow(expect.objectContaining({ code: 'API_UNAUTHORIZED' }));
  });
});

describe('createHttpApi requests', () => {
  it('posts the arguments to /api/<method> with the bearer token and returns the value', async () => {
    const { fetch, requests } = recordingFetch([json({ ok: true, value: { profile: 'p', state: 'running', brokers: [], openConnections: 0, totalConnections: 0 } })]);
    const api = createHttpApi({ origin: 'http://127.0.0.1:4321', token: 'tok', fetch });
    const status = await api.startTunnel('p');
    expect(status.state).toBe('running');
    expect(requests[0]!.url).toBe('http://127.0.0.1:4321/api/startTunnel');
    expect(requests[0]!.init.method).toBe('POST');
    expect((requests[0]!.init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(JSON.parse(String(requests[0]!.init.body))).toEqual({ args: ['p'] });
  });

  it('leaves out trailing undefined arguments instead of sending null', async () => {
    const { fetch, requests } = recordingFetch([json({ ok: true, value: { imported: [], warnings: [] } })]);
    const api = createHttpApi({ origin: 'http://h', token: 't', fetch });
    await api.importProfiles('a.conf', 'serviceUrl=x', undefined);
    expect(JSON.parse(String(requests[0]!.init.body))).toEqual({ args: ['a.conf', 'serviceUrl=x'] });
  });

  it('rebuilds the host error as an AppError with its code and message', async () => {
    const { fetch } = recordingFetch([json({ ok: false, error: { code: 'BUNDLE_PASSPHRASE_WRONG', message: 'wrong passphrase' } }, 400)]);
    const api = createHttpApi({ origin: 'http://h', token: 't', fetch });
    const failure = await api.importProfiles('b.json', '{}', { passphrase: 'x' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: 'BUNDLE_PASSPHRASE_WRONG', message: 'wrong passphrase' });
  });

  it('reports a refused token as API_UNAUTHORIZED', async () => {
    const { fetch } = recordingFetch([new Response('no', { status: 401 })]);
    const api = createHttpApi({ origin: 'http://h', token: 't', fetch });
    await expect(api.listProfiles()).rejects.toMatchObject({ code: 'API_UNAUTHORIZED' });
  });

  it('reports a host that does not answer as API_UNREACHABLE', async () => {
    const { fetch } = recordingFetch([new TypeError('Failed to fetch')]);
    const api = createHttpApi({ origin: 'http://h', token: 't', fetch });
    await expect(api.listProfiles()).rejects.toMatchObject({ code: 'API_UNREACHABLE' });
  });
});

describe('createHttpApi live log', () => {
  it('connects to /api/log offering the token as a subprotocol, never in the URL, and delivers each message as a LogBatch', () => {
    const api = createHttpApi({ origin: 'http://127.0.0.1:4321', token: 'a b', webSocket: (url, protocols) => new ManualSocket(url, protocols) as unknown as WebSocket });
    const received: LogBatch[] = [];
    const unsubscribe = api.subscribeLog((batch) => received.push(batch));
    const socket = ManualSocket.opened[0]!;
    expect(socket.url).toBe('ws://127.0.0.1:4321/api/log');
    // The log's subprotocol, then the token in base64url ("a b" → YSBi), each a valid subprotocol name.
    expect(socket.protocols).toEqual(['pulsar-tunnel.log.v1', 'base64url.bearer.authorization.pulsar-tunnel.YSBi']);
    expect(socket.protocols.every((protocol) => /^[\w.-]+$/.test(protocol))).toBe(true);
    socket.open();
    socket.send(JSON.stringify({ events: [{ event: 'ready', listen: { pulsar: '127.0.0.1:6650' }, profile: 'p', seq: 1 }], dropped: 2 }));
    socket.send('not json');
    expect(received).toEqual([{ events: [{ event: 'ready', listen: { pulsar: '127.0.0.1:6650' }, profile: 'p', seq: 1 }], dropped: 2 }]);
    unsubscribe();
    expect(socket.closed).toBe(true);
  });

  it('reconnects with a growing delay after the socket drops, and resets it once connected', () => {
    vi.useFakeTimers();
    const api = createHttpApi({ origin: 'http://h', token: 't', reconnectMs: 100, maxReconnectMs: 400, webSocket: (url, protocols) => new ManualSocket(url, protocols) as unknown as WebSocket });
    const unsubscribe = api.subscribeLog(() => undefined);
    ManualSocket.opened[0]!.drop();
    vi.advanceTimersByTime(99);
    expect(ManualSocket.opened).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(ManualSocket.opened).toHaveLength(2);
    ManualSocket.opened[1]!.drop();
    vi.advanceTimersByTime(199);
    expect(ManualSocket.opened).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(ManualSocket.opened).toHaveLength(3);
    ManualSocket.opened[2]!.open();
    ManualSocket.opened[2]!.drop();
    vi.advanceTimersByTime(100);
    expect(ManualSocket.opened).toHaveLength(4);
    unsubscribe();
    vi.advanceTimersByTime(10_000);
    expect(ManualSocket.opened).toHaveLength(4);
  });

  it('stops reconnecting the live log once the host refuses the token: it was made for one start of the host, so no retry can succeed', async () => {
    vi.useFakeTimers();
    // What a tab still open after `pulsar-tunnel ui` was restarted (on the same --port) gets.
    const { fetch } = recordingFetch([json({ ok: false, error: { code: 'API_UNAUTHORIZED', message: 'The request lacks the session token' } }, 401)]);
    const api = createHttpApi({ origin: 'http://h', token: 't', fetch, reconnectMs: 100, maxReconnectMs: 400, webSocket: (url, protocols) => new ManualSocket(url, protocols) as unknown as WebSocket });
    const unsubscribe = api.subscribeLog(() => undefined);
    // A dropped socket alone is retried: the host may be restarting, or its engine.
    ManualSocket.opened[0]!.drop();
    vi.advanceTimersByTime(100);
    expect(ManualSocket.opened).toHaveLength(2);
    // A browser's WebSocket never sees the 401 of a refused upgrade; the API's calls do.
    await expect(api.tunnelStatus()).rejects.toMatchObject({ code: 'API_UNAUTHORIZED' });
    ManualSocket.opened[1]!.drop();
    vi.advanceTimersByTime(60_000);
    expect(ManualSocket.opened).toHaveLength(2);
    unsubscribe();
  });
});
