/**
 * The web host: serves the built UI and the TunnelApi over HTTP and a WebSocket on 127.0.0.1 only,
 * for headless machines and browser tests. Protocol (the renderer's web client implements the other
 * side):
 *
 * - `POST /api/<method>` with `Authorization: Bearer TOKEN` and body `{"args": [...]}` →
 *   `{"ok": true, "value": ...}` or `{"ok": false, "error": {"code", "message"}}`. Errors of the
 *   API itself come with HTTP 200; refusals of the request (no token 401, foreign Host/Origin 403,
 *   unknown method 404, bad body 400/413) carry the same JSON error body.
 * - `GET /api/log` upgraded to a WebSocket offering the subprotocols `pulsar-tunnel.log.v1` and
 *   `base64url.bearer.authorization.pulsar-tunnel.<token>` (never the token in the URL; why in
 *   ./logSocketAuth.ts): one JSON {@link LogBatch} per message. The host's refusals (Host, Origin, path,
 *   token) carry the JSON error body; a malformed handshake past them gets ws's plain-text one.
 * - `GET /?code=CODE`: a one-time link ({@link WebHost.openUrl}). The first use within its expiry
 *   answers a hand-off page whose one inline script puts the token in the tab's sessionStorage
 *   and replaces itself with `/`; any later use, or an unknown or expired code, 401: a small HTML page saying
 *   what to do for a browser (Accept: text/html), the JSON error for other clients. The token is
 *   never in a URL the browser visits: a redirect to `/?token=` would be kept in its history (and
 *   session restore, sync) even after the page took it out of the address bar.
 *
 * Security: a random token per start (never in a command line: a browser opener's arguments are
 * readable by every local user in `ps`, so it gets a one-time code that expires within a minute;
 * never in a request's URL either; compared in constant time), the Host
 * header must be 127.0.0.1:PORT or localhost:PORT (DNS-rebinding protection), an Origin, when sent,
 * must be that same origin, and the HTML is served with a strict Content-Security-Policy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { extname, join, resolve, sep } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { AppError } from '../../shared/errors.ts';
import type { ErrorCode } from '../../shared/errors.ts';
import { isApiMethod, maxImportChars, parseApiArgs } from '../../shared/ipc/validate.ts';
import type { HostedApi } from '../core/service/appService.ts';
import { serializeError } from '../core/service/serializeError.ts';
import { contentSecurityPolicyHeader } from '../../shared/csp.ts';
import { sessionTokenStorageKey } from '../../shared/ipc/webSession.ts';
import { usedLinkAdvice, usedLinkMessage, usedLinkPage } from './usedLinkPage.ts';
import { checkLogUpgrade, refuseUpgrade, selectLogSubprotocol, tokenMatches } from './logSocketAuth.ts';
import { badTarget, checkOrigin, requestUrl, webHostAddress } from './requestChecks.ts';

/** Options of {@link startWebHost}. */
export interface WebHostOptions {
  api: HostedApi;
  /** Directory of the built renderer (holding index.html). */
  rendererDir: string;
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** The session token; a fresh random one when absent (tests may fix it). */
  token?: string;
}

/** A running web host. */
export interface WebHost {
  /**
   * A fresh one-time link, `http://127.0.0.1:PORT/?code=CODE`: its first use within `ttlMs`
   * (default {@link defaultLinkTtlMs}) lets a browser in; it is worthless afterwards.
   */
  openUrl(ttlMs?: number): string;
  port: number;
  token: string;
  /** Closes every WebSocket and HTTP connection and the listener. */
  close(): Promise<void>;
}

/** The only address the web host listens on (./requestChecks.ts). */
export { webHostAddress };

/** How long a one-time link stays usable by default: long enough for a browser to start. */
export const defaultLinkTtlMs = 60_000;

// The request body limit: an import carries a file of up to maxImportChars characters, JSON-escaped.
const maxBodyBytes = maxImportChars * 2 + 64 * 1024;
// A WebSocket whose send buffer holds more than this is "not ready": its batches wait (bounded).
const maxBufferedBytes = 1024 * 1024;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The Content-Security-Policy of the UI page: the same policy the renderer build puts in its meta
 * tag (vite.config.ts), plus frame-ancestors, which only works as a header (clickjacking).
 */
export const webContentSecurityPolicy = contentSecurityPolicyHeader;

/**
 * Starts the web host on 127.0.0.1.
 * @throws AppError TUNNEL_LISTEN_IN_USE when the port is taken, TUNNEL_LISTEN_FAILED for other
 *   listen errors.
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  const server = createServer();
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 4096, handleProtocols: selectLogSubprotocol });
  let port = 0;
  /** Unused one-time codes and when each expires (ms since the epoch). */
  const codes = new Map<string, number>();

  /** Consumes a one-time code: true only on its first use before it expires. */
  function redeem(code: string): boolean {
    const expires = codes.get(code);
    if (expires === undefined) return false;
    codes.delete(code);
    return Date.now() <= expires;
  }

  server.on('request', (request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { ok: false, error: serializeError(error) });
      else response.destroy();
    });
  });

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const refusal = checkOrigin(request, port);
    if (refusal) return sendJson(response, 403, { ok: false, error: refusal });
    const url = requestUrl(request, port);
    if (!url) return sendJson(response, 400, { ok: false, error: badTarget });
    if (url.pathname.startsWith('/api/')) return handleApi(request, response, url);
    if (url.searchParams.has('code')) return exchangeCode(request, response, url.searchParams.get('code') ?? '');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return sendJson(response, 405, { ok: false, error: { code: 'API_BAD_REQUEST', message: `${request.method} is not allowed here` } });
    }
    return serveStatic(request, response, url.pathname);
  }

  async function handleApi(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (!hasToken(request.headers.authorization, token)) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      return sendJson(response, 401, { ok: false, error: new AppError('API_UNAUTHORIZED').toJSON() });
    }
    const method = url.pathname.slice('/api/'.length);
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      return sendJson(response, 405, { ok: false, error: { code: 'API_BAD_REQUEST', message: `${method}: use POST` } });
    }
    if (!isApiMethod(method)) {
      return sendJson(response, 404, { ok: false, error: { code: 'API_BAD_REQUEST', message: `"${method}" is not an API method` } });
    }
    // Requiring JSON keeps the API out of reach of HTML forms, which cannot send this type.
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      return sendJson(response, 415, { ok: false, error: { code: 'API_BAD_REQUEST', message: `${method}: Content-Type must be application/json` } });
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(request, maxBodyBytes));
    } catch (error) {
      const tooLarge = error instanceof BodyTooLarge;
      return sendJson(response, tooLarge ? 413 : 400, {
        ok: false,
        error: { code: 'API_BAD_REQUEST', message: tooLarge ? `${method}: the request is larger than ${maxBodyBytes} bytes` : `${method}: the body is not JSON` },
      });
    }
    if (typeof body !== 'object' || body === null || !('args' in body)) {
      return sendJson(response, 400, { ok: false, error: { code: 'API_BAD_REQUEST', message: `${method}: the body must be {"args": [...]}` } });
    }
    try {
      const args = parseApiArgs(method, (body as { args: unknown }).args);
      const call = options.api[method] as (...values: unknown[]) => Promise<unknown>;
      const value = await call.apply(options.api, args);
      sendJson(response, 200, { ok: true, value: value ?? null });
    } catch (error) {
      sendJson(response, 200, { ok: false, error: serializeError(error) });
    }
  }

  /** A one-time link: the page gets the session token (in a redirect, never in a command line). */
  function exchangeCode(request: IncomingMessage, response: ServerResponse, code: string): void {
    // Only the browser's GET uses the link up: a HEAD (a link preview, a checker) or any other
    // method is refused before the code is looked at, so it cannot spend the user's link.
    if (request.method !== 'GET') {
      response.setHeader('Allow', 'GET');
      return sendJson(response, 405, { ok: false, error: { code: 'API_BAD_REQUEST', message: `${request.method} does not open a one-time link; open it in a browser (GET)` } });
    }
    if (!redeem(code)) {
      // A browser (it asks for HTML) gets a page saying what to do; other clients the JSON error.
      if (/\btext\/html\b/i.test(request.headers.accept ?? '')) return sendHtml(response, 401, usedLinkPage());
      return sendJson(response, 401, { ok: false, error: new AppError('API_UNAUTHORIZED', `${usedLinkMessage} ${usedLinkAdvice.join(' ').replaceAll('`', '')}`).toJSON() });
    }
    sendHandOff(response, token);
  }

  async function serveStatic(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
    let relative: string;
    try {
      relative = decodeURIComponent(pathname);
    } catch {
      return sendText(response, 400, 'Bad path');
    }
    if (relative.includes('\0')) return sendText(response, 400, 'Bad path');
    if (relative === '/' || relative === '') relative = '/index.html';
    const file = resolve(join(rendererDir, relative));
    // Refuses ../ escapes: every file served lies inside the renderer build.
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return sendText(response, 404, 'Not found');
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return sendText(response, 404, 'Not found');
    const type = contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
    response.statusCode = 200;
    setCommonHeaders(response);
    response.setHeader('Content-Type', type);
    response.setHeader('Content-Length', info.size);
    if (type.startsWith('text/html')) {
      response.setHeader('Content-Security-Policy', webContentSecurityPolicy);
      response.setHeader('Cache-Control', 'no-store');
    } else {
      response.setHeader('Cache-Control', 'no-cache');
    }
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', () => response.destroy());
    stream.pipe(response);
  }

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refusal = checkOrigin(request, port);
    if (refusal) return refuseUpgrade(socket, { status: 403, error: refusal });
    // Nothing here may throw: an exception in this listener would end the whole process.
    const url = requestUrl(request, port);
    if (!url) return refuseUpgrade(socket, { status: 400, error: badTarget });
    if (url.pathname !== '/api/log') return refuseUpgrade(socket, { status: 404, error: { code: 'API_BAD_REQUEST', message: `${url.pathname} is not a WebSocket; the live log is /api/log` } });
    const unauthorized = checkLogUpgrade(request, url, token);
    if (unauthorized) return refuseUpgrade(socket, unauthorized);
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  });

  sockets.on('connection', (ws: WebSocket) => {
    const unsubscribe = options.api.subscribeLog(
      (batch) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(batch));
      },
      // The engine never waits on a browser: while the socket's send buffer is full, batches stay
      // in the service's bounded queue, whose oldest events are dropped and counted.
      { ready: () => ws.readyState === WebSocket.OPEN && ws.bufferedAmount < maxBufferedBytes },
    );
    ws.on('close', unsubscribe);
    ws.on('error', () => ws.terminate());
    // The client never needs to send anything; a message is ignored rather than trusted.
    ws.on('message', () => undefined);
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const code: ErrorCode = error.code === 'EADDRINUSE' ? 'TUNNEL_LISTEN_IN_USE' : 'TUNNEL_LISTEN_FAILED';
      rejectListen(new AppError(code, `The web UI cannot listen on ${webHostAddress}:${options.port ?? 0} (${error.code ?? error.message}); ${code === 'TUNNEL_LISTEN_IN_USE' ? 'choose another --port' : 'check the port'}.`, { cause: error }));
    });
    server.listen({ host: webHostAddress, port: options.port ?? 0, exclusive: true }, () => resolveListen());
  });
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;

  let closing: Promise<void> | undefined;
  return {
    openUrl(ttlMs = defaultLinkTtlMs) {
      const now = Date.now();
      for (const [code, expires] of codes) if (expires < now) codes.delete(code);
      const code = randomBytes(24).toString('base64url');
      codes.set(code, now + ttlMs);
      return `http://${webHostAddress}:${port}/?code=${code}`;
    },
    port,
    token,
    close() {
      closing ??= new Promise<void>((resolveClose) => {
        for (const ws of sockets.clients) ws.terminate();
        sockets.close();
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function hasToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1] !== undefined && tokenMatches(match[1], token);
}

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolveBody, rejectBody) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        rejectBody(new BodyTooLarge());
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    request.on('error', rejectBody);
  });
}

function setCommonHeaders(response: ServerResponse): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  // No page URL carries the token any more, but a page's address is still nobody else's business.
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/**
 * The page a one-time link answers: one inline script keeps the session token in the tab's
 * sessionStorage (where src-renderer/lib/api.ts reads it) and replaces the page with `/`, so the
 * back button does not return to the used link. Its Content-Security-Policy allows that script
 * alone, by its SHA-256 (CSP Level 3 hash source), and nothing else.
 */
function sendHandOff(response: ServerResponse, token: string): void {
  // JSON string literals, with `<` escaped so no value can close the script element.
  const literal = (value: string) => JSON.stringify(value).replace(/</g, '\\u003c');
  const script = `sessionStorage.setItem(${literal(sessionTokenStorageKey)}, ${literal(token)});location.replace('/');`;
  const hash = createHash('sha256').update(script).digest('base64');
  const html = `<!doctype html><meta charset="utf-8"><title>pulsar-tunnel</title><script>${script}</script><noscript>The pulsar-tunnel UI needs JavaScript.</noscript>`;
  response.statusCode = 200;
  setCommonHeaders(response);
  response.setHeader('Content-Type', 'text/html; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Content-Security-Policy', `default-src 'none'; script-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
  response.setHeader('Content-Length', Buffer.byteLength(html));
  response.end(html);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.statusCode = status;
  setCommonHeaders(response);
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Content-Length', Buffer.byteLength(text));
  response.end(text);
}

/** An HTML page of our own, under the UI's Content-Security-Policy. */
function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.statusCode = status;
  setCommonHeaders(response);
  response.setHeader('Content-Type', 'text/html; charset=utf-8');
  response.setHeader('Content-Security-Policy', webContentSecurityPolicy);
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Content-Length', Buffer.byteLength(html));
  response.end(html);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.statusCode = status;
  setCommonHeaders(response);
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.end(text);
}

