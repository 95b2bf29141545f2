/**
 * Who may open the web host's live-log WebSocket (`GET /api/log`), and how a refused upgrade is
 * answered.
 *
 * The session token never rides in the socket's URL: a URL is written where headers are not (access
 * and proxy logs, browser history and developer tools' copies, crash reports, the command line of an
 * HTTP client). A browser cannot set `Authorization` on a WebSocket, so the client offers the token
 * as a subprotocol next to the real one, `Sec-WebSocket-Protocol: pulsar-tunnel.log.v1,
 * base64url.bearer.authorization.pulsar-tunnel.<token>` (the shape Kubernetes' API server accepts),
 * and the host answers with the real subprotocol alone, so the token is never echoed. Chosen over a
 * single-use ticket fetched by an authenticated POST: it needs no second request per (re)connect, no
 * ticket store on the host, and no secret in the URL at all, not even a spent one.
 */
import { timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError } from '../../shared/errors.ts';
import type { SerializedError } from '../../shared/errors.ts';
import { bearerSubprotocol, bearerSubprotocolPrefix, logSubprotocol } from '../../shared/ipc/webSession.ts';

/** Why an upgrade is refused: the HTTP status and the JSON error the host answers. */
export interface UpgradeRefusal {
  status: number;
  error: SerializedError;
}

/** What the upgrade refusals tell a client that sends the token in the URL or not at all. */
const offerAdvice = `offer the subprotocols "${logSubprotocol}" and "${bearerSubprotocolPrefix}<session token in base64url>" in Sec-WebSocket-Protocol, as the UI does; reload the UI page if it is an older copy`;

/**
 * Checks a live-log upgrade's credentials; Host, Origin and the path are checked before. Any
 * `token` in the URL is refused without being compared, so a right and a wrong one get the same
 * answer; then exactly one token offer must match the session token (in constant time), and the log
 * subprotocol must be offered beside it.
 * @returns undefined when the upgrade may proceed, otherwise the refusal to answer.
 */
export function checkLogUpgrade(request: IncomingMessage, url: URL, token: string): UpgradeRefusal | undefined {
  if (url.searchParams.has('token')) {
    return {
      status: 401,
      error: new AppError('API_UNAUTHORIZED', `The live log does not take the session token in its URL, where logs would keep it; ${offerAdvice}.`).toJSON(),
    };
  }
  const offered = offeredSubprotocols(request);
  const tokenOffers = offered.filter((protocol) => protocol.startsWith(bearerSubprotocolPrefix));
  // One offer per request: a client holding the token never needs to try several.
  if (tokenOffers.length !== 1 || !tokenMatches(tokenOffers[0]!, bearerSubprotocol(token))) {
    return { status: 401, error: new AppError('API_UNAUTHORIZED', `The live log needs the session token; ${offerAdvice}.`).toJSON() };
  }
  if (!offered.includes(logSubprotocol)) {
    return { status: 400, error: { code: 'API_BAD_REQUEST', message: `The live log speaks the subprotocol "${logSubprotocol}" only; offer it next to the token.` } };
  }
  return undefined;
}

/**
 * The `ws` server's `handleProtocols`: selects the log subprotocol, never the token offer (a
 * server's answer must be one of the offers, RFC 6455 §4.2.2, and `ws` would otherwise pick the
 * first one, whichever it is).
 */
export function selectLogSubprotocol(protocols: Set<string>): string | false {
  return protocols.has(logSubprotocol) ? logSubprotocol : false;
}

/** The subprotocols a request offers (`Sec-WebSocket-Protocol`, comma-separated, RFC 6455 §11.3.4). */
function offeredSubprotocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'] ?? '';
  return header
    .split(',')
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol !== '');
}

/** Constant-time comparison, so response timing does not reveal how much of a guess was right. */
export function tokenMatches(candidate: string, token: string): boolean {
  const a = Buffer.from(candidate);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Answers a refused upgrade with the same JSON error body as the HTTP API's refusals, and closes the
 * connection once the answer is written. Ending our side is not enough: Node's HTTP server is
 * half-open and no longer times a socket it handed to 'upgrade', so a client that keeps its side
 * open would hold the socket (and a file descriptor) for good, and keep the host from closing. The
 * same as ws's own refusals (abortHandshake).
 */
export function refuseUpgrade(socket: Duplex, refusal: UpgradeRefusal): void {
  const body = JSON.stringify({ ok: false, error: refusal.error });
  const headers = [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Refused'}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    `Content-Length: ${Buffer.byteLength(body)}`,
    // Every 401 names its scheme (RFC 9110 §11.6.1), as the API's own 401 does.
    ...(refusal.status === 401 ? ['WWW-Authenticate: Bearer'] : []),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
