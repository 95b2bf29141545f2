import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWebSocketStream, WebSocket } from 'ws';
import type { LogBatch } from '../../shared/ipc/contract.ts';
import { bearerSubprotocol, logSocketProtocols, logSubprotocol } from '../../shared/ipc/webSession.ts';
import { AppService } from '../../src-main/core/service/appService.ts';
import { startWebHost } from '../../src-main/host/webHost.ts';
import type { WebHost } from '../../src-main/host/webHost.ts';
import { eventually, withDeadline } from '../fixtures/deadline.ts';
import { sessionFromHandOff } from '../fixtures/webUiSession.ts';
import { connectionEvents, MemoryStore, sampleProfile, ScriptedRunner } from '../unit/core/service/memoryStore.ts';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with full control of the headers (fetch would not let a test forge Host). */
function send(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<RawResponse> {
  return withDeadline(
    new Promise<RawResponse>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(options.body);
    }),
    5000,
    `${options.method ?? 'GET'} ${options.path}`,
  );
}

let rendererDir: string;
let host: WebHost | undefined;
let service: AppService | undefined;
let runner: ScriptedRunner;
const openSockets = new Set<WebSocket>();

beforeAll(async () => {
  rendererDir = await mkdtemp(join(tmpdir(), 'pt-renderer-'));
  await mkdir(join(rendererDir, 'assets'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>pulsar-tunnel</title><script type="module" src="./assets/app.js"></script>');
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log("ui");');
});

afterAll(async () => {
  await rm(rendererDir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const socket of openSockets) socket.terminate();
  openSockets.clear();
  await host?.close();
  await service?.dispose();
  host = undefined;
  service = undefined;
});

async function start(options: { subscriberCapacity?: number } = {}): Promise<WebHost> {
  runner = new ScriptedRunner();
  service = new AppService({ store: new MemoryStore(), startTunnel: runner.start, ...options });
  host = await startWebHost({ api: service, rendererDir });
  return host;
}

function call(web: WebHost, method: string, args: unknown[], headers: Record<string, string> = {}): Promise<RawResponse> {
  return send(web.port, {
    method: 'POST',
    path: `/api/${method}`,
    headers: { Host: `127.0.0.1:${web.port}`, Authorization: `Bearer ${web.token}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ args }),
  });
}

/**
 * Opens the live log as the UI does: the log subprotocol and the token offered in
 * Sec-WebSocket-Protocol; `protocols` and `query` replace the offer and add to the URL.
 */
function connectLog(web: WebHost, options: { token?: string; origin?: string; host?: string; protocols?: string[]; query?: string } = {}): WebSocket {
  const socket = new WebSocket(`ws://127.0.0.1:${web.port}/api/log${options.query ?? ''}`, options.protocols ?? logSocketProtocols(options.token ?? web.token), {
    origin: options.origin ?? `http://127.0.0.1:${web.port}`,
    headers: options.host === undefined ? {} : { Host: options.host },
  });
  openSockets.add(socket);
  return socket;
}

/** The HTTP answer to a refused upgrade: status, headers and body as sent. */
function upgradeRefusal(socket: WebSocket): Promise<RawResponse> {
  return withDeadline(
    new Promise<RawResponse>((resolve, reject) => {
      socket.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      socket.on('open', () => reject(new Error('the WebSocket was accepted')));
      socket.on('error', () => undefined);
    }),
    5000,
    'the upgrade refusal',
  );
}

describe('web host', () => {
  it('gives one-time links on 127.0.0.1 that never carry the token; the first use gets it, later ones are refused', async () => {
    const web = await start();
    const link = web.openUrl();
    expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${web.port}/\\?code=[\\w-]{32}$`));
    expect(link).not.toContain(web.token);
    expect(web.openUrl()).not.toBe(link);
    const path = link.slice(`http://127.0.0.1:${web.port}`.length);
    const first = await send(web.port, { path, headers: { Host: `127.0.0.1:${web.port}` } });
    // A page that keeps the token in sessionStorage, not a redirect to a URL holding it.
    expect(first.status).toBe(200);
    expect(first.headers.location).toBeUndefined();
    expect(sessionFromHandOff(first.body)).toBe(web.token);
    expect(first.headers['cache-control']).toBe('no-store');
    // Its one inline script is the only script allowed, by hash.
    expect(first.headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'sha256-[\w+/=]+'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/);
    const again = await send(web.port, { path, headers: { Host: `127.0.0.1:${web.port}` } });
    expect(again.status).toBe(401);
    expect(JSON.parse(again.body)).toMatchObject({ ok: false, error: { code: 'API_UNAUTHORIZED', message: expect.stringContaining('used already or has expired') } });
    expect(again.body).not.toContain(web.token);
    // An expired link, and one never issued, are refused too.
    const expired = web.openUrl(-1).slice(`http://127.0.0.1:${web.port}`.length);
    expect((await send(web.port, { path: expired, headers: { Host: `127.0.0.1:${web.port}` } })).status).toBe(401);
    expect((await send(web.port, { path: '/?code=guess', headers: { Host: `127.0.0.1:${web.port}` } })).status).toBe(401);
    // The Host check still comes first.
    const fresh = web.openUrl().slice(`http://127.0.0.1:${web.port}`.length);
    expect((await send(web.port, { path: fresh, headers: { Host: 'evil.example' } })).status).toBe(403);
    expect(web.token.length).toBeGreaterThanOrEqual(32);
    const other = await startWebHost({ api: service!, rendererDir });
    await other.close();
    expect(other.token).not.toBe(web.token);
  });

  it('uses up a one-time link only on a GET: a HEAD or another method (a link preview, a prefetch) is refused and leaves it usable', async () => {
    const web = await start();
    const path = web.openUrl().slice(`http://127.0.0.1:${web.port}`.length);
    for (const method of ['HEAD', 'POST', 'OPTIONS']) {
      const refused = await send(web.port, { method, path, headers: { Host: `127.0.0.1:${web.port}` } });
      expect(refused.status, method).toBe(405);
      expect(refused.headers.allow, method).toBe('GET');
    }
    const first = await send(web.port, { path, headers: { Host: `127.0.0.1:${web.port}` } });
    expect(first.status).toBe(200);
    expect(sessionFromHandOff(first.body)).toBe(web.token);
  });

  it('serves the UI page with a strict Content-Security-Policy and no referrer', async () => {
    const web = await start();
    const page = await send(web.port, { path: '/', headers: { Host: `localhost:${web.port}` } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>pulsar-tunnel</title>');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'.*script-src 'self'.*frame-ancestors 'none'/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const script = await send(web.port, { path: '/assets/app.js', headers: { Host: `127.0.0.1:${web.port}` } });
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('never serves files outside the renderer build', async () => {
    const web = await start();
    for (const path of ['/../package.json', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2findex.html%00']) {
      const response = await send(web.port, { path, headers: { Host: `127.0.0.1:${web.port}` } });
      expect(response.status, path).toBeGreaterThanOrEqual(400);
    }
  });

  it('refuses API calls without the token, or with a wrong one, as API_UNAUTHORIZED', async () => {
    const web = await start();
    const missing = await call(web, 'listProfiles', [], { Authorization: '' });
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toMatchObject({ ok: false, error: { code: 'API_UNAUTHORIZED' } });
    const wrong = await call(web, 'listProfiles', [], { Authorization: `Bearer ${'x'.repeat(web.token.length)}` });
    expect(wrong.status).toBe(401);
  });

  it('refuses a foreign Host header (DNS rebinding) and a foreign Origin, even with the token', async () => {
    const web = await start();
    const rebound = await call(web, 'listProfiles', [], { Host: `evil.example:${web.port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.code).toBe('API_UNAUTHORIZED');
    const page = await send(web.port, { path: '/', headers: { Host: `evil.example:${web.port}` } });
    expect(page.status).toBe(403);
    const foreign = await call(web, 'listProfiles', [], { Origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const sameOrigin = await call(web, 'listProfiles', [], { Origin: `http://127.0.0.1:${web.port}` });
    expect(sameOrigin.status).toBe(200);
  });

  it('round-trips API calls: values, AppErrors and argument errors naming the field', async () => {
    const web = await start();
    const saved = await call(web, 'saveProfile', [sampleProfile('alpha')]);
    expect(JSON.parse(saved.body)).toMatchObject({ ok: true, value: { profile: { name: 'alpha' }, tunnel: { state: 'stopped' } } });
    const started = JSON.parse((await call(web, 'startTunnel', ['alpha'])).body);
    expect(started).toMatchObject({ ok: true, value: { state: 'running', listen: { pulsar: '127.0.0.1:40000' } } });
    const statuses = JSON.parse((await call(web, 'tunnelStatus', [])).body);
    expect(statuses.value).toHaveLength(1);
    const missing = await call(web, 'startTunnel', ['nope']);
    expect(missing.status).toBe(200);
    expect(JSON.parse(missing.body)).toMatchObject({ ok: false, error: { code: 'PROFILE_NOT_FOUND' } });
    const badArgs = JSON.parse((await call(web, 'stopTunnel', [17])).body);
    expect(badArgs).toMatchObject({ ok: false, error: { code: 'API_BAD_REQUEST', message: expect.stringMatching(/^stopTunnel: name: /) } });
    const badProfile = JSON.parse((await call(web, 'saveProfile', [sampleProfile('beta', { serviceUrl: 'pulsar://plain:6650' })])).body);
    expect(badProfile).toMatchObject({ ok: false, error: { code: 'PROFILE_INVALID', message: expect.stringMatching(/^serviceUrl: /) } });
    const removed = JSON.parse((await call(web, 'removeProfile', ['alpha'])).body);
    expect(removed).toEqual({ ok: true, value: null });
  });

  it('refuses unknown methods, subscribeLog over POST, non-JSON bodies and GETs on the API', async () => {
    const web = await start();
    expect((await call(web, 'subscribeLog', [])).status).toBe(404);
    expect((await call(web, 'constructor', [])).status).toBe(404);
    const text = await send(web.port, { method: 'POST', path: '/api/listProfiles', headers: { Host: `127.0.0.1:${web.port}`, Authorization: `Bearer ${web.token}`, 'Content-Type': 'text/plain' }, body: '{"args":[]}' });
    expect(text.status).toBe(415);
    const broken = await send(web.port, { method: 'POST', path: '/api/listProfiles', headers: { Host: `127.0.0.1:${web.port}`, Authorization: `Bearer ${web.token}`, 'Content-Type': 'application/json' }, body: '{"args":' });
    expect(broken.status).toBe(400);
    const get = await send(web.port, { path: '/api/listProfiles', headers: { Host: `127.0.0.1:${web.port}`, Authorization: `Bearer ${web.token}` } });
    expect(get.status).toBe(405);
    // A target Node's parser takes and the URL parser does not: the client's mistake, not ours.
    const target = await send(web.port, { path: 'http://[/api/listProfiles', headers: { Host: `127.0.0.1:${web.port}` } });
    expect(target.status).toBe(400);
    expect(JSON.parse(target.body)).toMatchObject({ ok: false, error: { code: 'API_BAD_REQUEST' } });
  });
});

describe('web host log stream', () => {
  it('refuses a WebSocket from a foreign origin or Host, or elsewhere than /api/log, even with the token', async () => {
    const web = await start();
    const foreign = await upgradeRefusal(connectLog(web, { origin: 'http://evil.example' }));
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ ok: false, error: { code: 'API_UNAUTHORIZED' } });
    expect(foreign.body).not.toContain(web.token);
    const rebound = await upgradeRefusal(connectLog(web, { host: `evil.example:${web.port}` }));
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.message).toContain('Host "evil.example');
    const socket = new WebSocket(`ws://127.0.0.1:${web.port}/api/other`, logSocketProtocols(web.token), { origin: `http://127.0.0.1:${web.port}` });
    openSockets.add(socket);
    expect((await upgradeRefusal(socket)).status).toBe(404);
  });

  it('refuses the session token in the URL, right or wrong, with one 401 API_UNAUTHORIZED, even beside a valid offer', async () => {
    const web = await start();
    const right = await upgradeRefusal(connectLog(web, { query: `?token=${web.token}`, protocols: [] }));
    expect(right.status).toBe(401);
    expect(JSON.parse(right.body)).toMatchObject({ ok: false, error: { code: 'API_UNAUTHORIZED', message: expect.stringContaining('does not take the session token in its URL') } });
    expect(right.body).not.toContain(web.token);
    // A hostile client learns nothing from the URL form: a wrong token gets the very same answer.
    const wrong = await upgradeRefusal(connectLog(web, { query: `?token=${'x'.repeat(web.token.length)}`, protocols: [] }));
    expect(wrong.status).toBe(right.status);
    expect(wrong.body).toBe(right.body);
    // The URL form is refused even when the offer would have let the socket in.
    expect((await upgradeRefusal(connectLog(web, { query: `?token=${web.token}` }))).status).toBe(401);
  });

  it('opens with the token offered in Sec-WebSocket-Protocol and answers the log subprotocol alone, never the token', async () => {
    const web = await start();
    // Either order: ws would select the first offer if the host let it.
    for (const protocols of [logSocketProtocols(web.token), [...logSocketProtocols(web.token)].reverse()]) {
      const socket = connectLog(web, { protocols });
      const answer = withDeadline(new Promise<Record<string, unknown>>((resolve) => socket.once('upgrade', (response) => resolve(response.headers))), 5000, 'the upgrade answer');
      await withDeadline(new Promise((resolve) => socket.once('open', resolve)), 5000, 'the WebSocket to open');
      const headers = await answer;
      expect(headers['sec-websocket-protocol']).toBe(logSubprotocol);
      expect(socket.protocol).toBe(logSubprotocol);
      const sent = JSON.stringify(headers);
      expect(sent).not.toContain(web.token);
      expect(sent).not.toContain(bearerSubprotocol(web.token).split('.').pop());
      socket.close();
    }
  });

  it('refuses a wrong, missing or doubled token offer as 401 API_UNAUTHORIZED, without echoing it', async () => {
    const web = await start();
    const wrongToken = 'x'.repeat(web.token.length);
    const offers = [
      logSocketProtocols(wrongToken),
      // The token itself where its base64url form belongs.
      [logSubprotocol, `base64url.bearer.authorization.pulsar-tunnel.${web.token}`],
      [logSubprotocol],
      // One request, one guess: a right offer beside a wrong one does not count.
      [...logSocketProtocols(wrongToken), bearerSubprotocol(web.token)],
    ];
    for (const protocols of offers) {
      const refusal = await upgradeRefusal(connectLog(web, { protocols }));
      expect(refusal.status, protocols.join(', ')).toBe(401);
      // As every 401 must (RFC 9110 §11.6.1), and as the API's own 401 does.
      expect(refusal.headers['www-authenticate'], protocols.join(', ')).toBe('Bearer');
      expect(JSON.parse(refusal.body)).toMatchObject({ ok: false, error: { code: 'API_UNAUTHORIZED', message: expect.stringContaining(logSubprotocol) } });
      expect(refusal.headers['sec-websocket-protocol']).toBeUndefined();
      expect(refusal.body).not.toContain(bearerSubprotocol(wrongToken).split('.').pop());
      expect(refusal.body).not.toContain(web.token);
    }
  });

  it('refuses an offer without the log subprotocol, even with the right token, and never selects the token offer', async () => {
    const web = await start();
    for (const protocols of [[bearerSubprotocol(web.token)], ['chat', bearerSubprotocol(web.token)]]) {
      const refusal = await upgradeRefusal(connectLog(web, { protocols }));
      expect(refusal.status, protocols.join(', ')).toBe(400);
      expect(JSON.parse(refusal.body)).toMatchObject({ ok: false, error: { code: 'API_BAD_REQUEST', message: expect.stringContaining(logSubprotocol) } });
      expect(refusal.headers['sec-websocket-protocol']).toBeUndefined();
      expect(refusal.body).not.toContain(bearerSubprotocol(web.token).split('.').pop());
    }
  });

  it('streams LogBatch messages of the engine events', async () => {
    const web = await start();
    await service!.saveProfile(sampleProfile('alpha'));
    await service!.startTunnel('alpha');
    const socket = connectLog(web);
    const batches: LogBatch[] = [];
    socket.on('message', (data) => batches.push(JSON.parse(String(data)) as LogBatch));
    await withDeadline(new Promise((resolve) => socket.once('open', resolve)), 5000, 'the WebSocket to open');
    for (const event of connectionEvents('alpha')) runner.latest('alpha').emit(event);
    await eventually(() => batches.flatMap((batch) => batch.events).length >= 3, { timeoutMs: 5000, what: 'three events over the WebSocket' });
    const events = batches.flatMap((batch) => batch.events);
    expect(events.map((event) => event.event)).toEqual(['connection.opened', 'connection.secured', 'connection.closed']);
    expect(events.every((event) => event.profile === 'alpha')).toBe(true);
  });

  /** Emits `total` padded events in chunks, delivering after each chunk, and counts what arrives. */
  async function pump(web: WebHost, total: number, readWhileSending: boolean): Promise<{ delivered: number; dropped: number; ordered: boolean; lastIndex: number }> {
    await service!.saveProfile(sampleProfile('alpha'));
    await service!.startTunnel('alpha');
    const socket = connectLog(web);
    await withDeadline(new Promise((resolve) => socket.once('open', resolve)), 5000, 'the WebSocket to open');
    // A stream in object mode: while nobody reads it, ws pauses the TCP socket (real backpressure).
    const stream = createWebSocketStream(socket, { readableObjectMode: true });
    const counts = { delivered: 0, dropped: 0, ordered: true, lastIndex: -1 };
    const read = (): void => {
      stream.on('data', (data: Buffer | string) => {
        const batch = JSON.parse(String(data)) as LogBatch;
        counts.dropped += batch.dropped;
        for (const event of batch.events) {
          const index = (event as unknown as { index: number }).index;
          if (index <= counts.lastIndex) counts.ordered = false;
          counts.lastIndex = index;
          counts.delivered += 1;
        }
      });
    };
    if (readWhileSending) read();
    const tunnel = runner.latest('alpha');
    const padding = 'x'.repeat(8 * 1024);
    for (let index = 0; index < total; index += 1) {
      tunnel.emit({ event: 'pulsar.test', index, padding } as never);
      if (index % 50 === 49) {
        service!.flushLog();
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (!readWhileSending) read();
    await eventually(() => counts.delivered + counts.dropped === total, { timeoutMs: 20_000, what: `all ${total} events delivered or counted as dropped` });
    stream.destroy();
    return counts;
  }

  it('delivers every event in order to a client that keeps up', async () => {
    const web = await start({ subscriberCapacity: 200 });
    const counts = await pump(web, 1000, true);
    expect(counts).toEqual({ delivered: 1000, dropped: 0, ordered: true, lastIndex: 999 });
  });

  it('drops and counts the oldest events while a client does not read, and delivers the newest', async () => {
    const web = await start({ subscriberCapacity: 200 });
    const counts = await pump(web, 3000, false);
    expect(counts.dropped).toBeGreaterThan(0);
    expect(counts.ordered).toBe(true);
    expect(counts.lastIndex).toBe(2999);
  });
});
