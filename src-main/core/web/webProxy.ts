/**
 * The web listener's HTTP side: plain HTTP/1.1 from local tools (pulsar-admin, curl, scripts,
 * fetch) is forwarded to the cluster's web service over TLS through the proxy, with the profile's
 * credential added. Both sides use Node's http module (llhttp), never a hand-written parser: a
 * local http.Server that is fed the tunnel's accepted sockets, and keep-alive agents upstream whose
 * connections come from the tunnel's dialer (see upstreamAgents.ts).
 *
 * Redirects. A broker that does not own a topic answers 307 with the owner's web address
 * (docs/pulsar-protocol.md, "HTTP: admin API and HTTP lookup"), a host local tools cannot reach. The tunnel FOLLOWS such redirects
 * itself rather than rewriting Location to a local address, because:
 * - every client then works unchanged: curl without -L, fetch, scripts and pulsar-admin alike,
 *   including clients that do not resend a PUT/POST body on 307, or drop Authorization when the
 *   host changes (curl does) and would then fail on the owner broker;
 * - a rewritten Location would need one more local listener per broker web host, and an address
 *   that stays valid only while this tunnel runs would leak into the client's logs and caches;
 * - the tunnel can explain a redirect it cannot follow (plain http, an IP address, a host the
 *   proxy has no route for) in its own error, instead of the client failing on an internal name.
 * The cost is a bounded replay buffer: the request body streams upstream as it arrives and a copy
 * of up to `maxReplayBytes` (1 MiB) is kept; a redirected request with a larger body gets 413.
 * A request with a body asks the broker before sending it (`Expect: 100-continue`, see
 * upstreamRequest.ts), so a broker that redirects without reading the body is not sent it.
 * Following carries the profile's credential only inside the cluster: through the profile's proxy
 * (whose SNI routes are the cluster's brokers, verified with the profile's CA and hostname check),
 * or, without a proxy, only to addresses (host and port) the cluster has named (see decideRedirect). A client's OWN
 * credential never goes to another host than the web service it addressed: its Cookie is dropped,
 * and a request with its own Authorization is answered HTTP_REDIRECT_REFUSED rather than sent on
 * without it (an unexplained 401 from the owner broker) or with the profile's (another identity).
 */
import http from 'node:http';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import type { Dialer } from '../transport/dialer.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';
import { defaultHeaderTimeoutMs } from '../transport/listenerGuard.ts';
import { decideRedirect, endToEndHeaders, hostHeader, isLookupPath, loggablePath, lookupAnswerAddresses, refuseBrowserRequest, rewriteLookupAnswer } from './httpRewrite.ts';
import { RequestBody } from './requestBody.ts';
import { sendUpstream } from './upstreamRequest.ts';
import { UpstreamAgents } from './upstreamAgents.ts';

export interface WebProxyOptions {
  config: Pick<TunnelConfig, 'web' | 'proxy' | 'auth'>;
  dialer: Dialer;
  emit: (event: TunnelEvent) => void;
  /** http://host:port of the web listener, what rewritten lookup answers name as web address. */
  localWebUrl: () => string;
  /** The local pulsar:// URL for a broker named by a lookup; undefined when the tunnel has none. */
  brokerLocalUrl: (brokerUrl: string | undefined, brokerUrlTls: string | undefined) => Promise<string | undefined>;
  /** Largest request body kept for replaying a redirected request; 1 MiB by default. */
  maxReplayBytes?: number;
  /** Redirects followed per request before giving up; 5 by default. */
  maxRedirects?: number;
  /** Largest HTTP-lookup answer buffered for rewriting; 1 MiB by default. */
  maxLookupBytes?: number;
  /** Serve requests for any Host (the listener deliberately serves other machines). */
  anyHost?: boolean;
  /** With anyHost: the listener's configured host, a name other machines may use for it. */
  listenHost?: string;
  /** Addresses the cluster has named besides the web service's (the service, brokers from binary lookups). */
  clusterAddresses?: () => Iterable<DialTarget>;
  /** A client must send each request head within this long, counted from when it may start; 20 s by default. */
  headerTimeoutMs?: number;
  /** Called with the local socket whenever a whole request head arrived on it. */
  onRequest?: (socket: net.Socket) => void;
  /** How long a request with a body waits for the broker's `100 Continue` before sending it anyway; 1 s by default. */
  continueWaitMs?: number;
}

/** Per local connection: its id in the connection log, and the last error a request on it met. */
interface LocalConnection {
  id: number;
  lastError?: AppError;
  /** Requests being answered; the header timer runs only while there are none. */
  inFlight: number;
  headerTimer?: NodeJS.Timeout;
}

const followAlways = new Set([307, 308]);
// 301/302 change a POST into a GET in most clients (RFC 9110 15.4.2), so they are followed only
// for GET and HEAD, where following is exactly what a client would do.
const followForSafeMethods = new Set([301, 302]);
/** Bound on the addresses remembered from HTTP-lookup answers (a cluster has far fewer brokers). */
const maxNamedAddresses = 1024;

/** Turns an upstream failure into an AppError with a stable code (dial errors already are). */
function upstreamError(error: unknown, target: DialTarget): AppError {
  if (isAppError(error)) return error;
  const code = (error as { code?: string }).code ?? '';
  const where = hostHeader(target);
  if (code.startsWith('HPE_')) {
    return new AppError('HTTP_UPSTREAM_FAILED', `${where} answered something that is not valid HTTP (${code}); is webServiceUrl the broker's HTTPS web port?`, { cause: error });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new AppError('HTTP_UPSTREAM_FAILED', `${where} closed the connection before its answer was complete.`, { cause: error });
  }
  return new AppError('HTTP_UPSTREAM_FAILED', `The request to ${where} failed: ${(error as Error).message}`, { cause: error });
}

function answerError(response: http.ServerResponse, status: number, error: AppError): void {
  const body = JSON.stringify(error.toJSON());
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** Serves the web listener. One per tunnel; `dispose()` closes the pooled upstream connections. */
export class WebProxy {
  readonly #options: WebProxyOptions;
  readonly #web: DialTarget;
  readonly #server: http.Server;
  readonly #agents: UpstreamAgents;
  readonly #connections = new WeakMap<net.Socket, LocalConnection>();
  /** Addresses (`host:port`, lower case) named in HTTP-lookup answers, for following redirects without a proxy. */
  readonly #namedAddresses = new Set<string>();

  /** @throws AppError TUNNEL_INTERNAL when the config has no web service */
  constructor(options: WebProxyOptions) {
    if (!options.config.web) throw new AppError('TUNNEL_INTERNAL', 'The web listener needs a webServiceUrl.');
    this.#options = options;
    this.#web = options.config.web;
    this.#agents = new UpstreamAgents({ dialer: options.dialer });
    // requestTimeout 0: an upload or a slow stream may take as long as it takes; the local side is
    // loopback, and the tunnel's dispose() closes everything anyway. Node's own headersTimeout
    // cannot stand in for ours: its checker runs only on a server that listens itself, and this
    // one is fed sockets the tunnel accepted (see serve and #armHeaderTimer).
    this.#server = http.createServer({ requestTimeout: 0, keepAliveTimeout: 5_000 }, (request, response) => {
      void this.#handle(request, response);
    });
    // A tool that sends its request and then half-closes (`nc -N`, socat, a script's end()) still
    // gets its answer: Node's default aborts the request on the client's FIN.
    // (A long-standing public property of http.Server that @types/node does not declare.)
    (this.#server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    // Upgrades (Pulsar's WebSocket API under /ws) are not relayed yet; without this listener Node
    // would drop the connection with no word, so the client is told instead.
    this.#server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket) => {
      const error = new AppError('HTTP_UPSTREAM_FAILED', `The tunnel's web listener does not relay protocol upgrades (${String(request.headers.upgrade)}); use the admin REST API over plain HTTP.`);
      const body = JSON.stringify(error.toJSON());
      socket.end(`HTTP/1.1 501 Not Implemented\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      const connection = this.#connections.get(socket) ?? { id: 0, inFlight: 0 };
      clearTimeout(connection.headerTimer);
      options.emit({ event: 'http.request', id: connection.id, method: request.method ?? 'GET', path: loggablePath(request.url ?? '/'), status: 501, broker: formatHostPort(this.#web), durationMs: 0, redirectsFollowed: 0, error: error.toJSON() });
    });
  }

  /**
   * Serves HTTP on a socket accepted by the web listener.
   * @returns the last error a request on this connection met (for the connection.closed event)
   */
  serve(socket: net.Socket, id: number): { lastError: () => AppError | undefined } {
    const connection: LocalConnection = { id, inFlight: 0 };
    this.#connections.set(socket, connection);
    this.#armHeaderTimer(socket, connection);
    socket.once('close', () => clearTimeout(connection.headerTimer));
    this.#server.emit('connection', socket);
    // The tunnel's listeners accept paused (pauseOnConnect); the HTTP parser reads at its own pace.
    socket.resume();
    return { lastError: () => connection.lastError };
  }

  /** Closes the upstream connection pools. Local sockets belong to the tunnel, which closes them. */
  dispose(): void {
    this.#agents.dispose();
  }

  /**
   * Closes a connection whose client does not send a whole request head in time (slowloris, or a
   * program that connects and stalls), answering 408 with HTTP_HEADER_TIMEOUT. The timer starts when
   * the connection is accepted and again whenever its last answer is done; between requests Node's
   * keepAliveTimeout (5 s) closes an idle connection first.
   */
  #armHeaderTimer(socket: net.Socket, connection: LocalConnection): void {
    clearTimeout(connection.headerTimer);
    const timeoutMs = this.#options.headerTimeoutMs ?? defaultHeaderTimeoutMs;
    connection.headerTimer = setTimeout(() => {
      if (socket.destroyed || connection.inFlight > 0) return;
      const error = new AppError(
        'HTTP_HEADER_TIMEOUT',
        `The local client at ${formatHostPort({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 })} did not send a complete request head within ${timeoutMs / 1000} s; the web listener closed its connection.`,
      );
      connection.lastError = error;
      const body = JSON.stringify(error.toJSON());
      socket.end(`HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      // A client that does not close its side is not waited for.
      setTimeout(() => socket.destroy(), 1_000).unref();
    }, timeoutMs);
    connection.headerTimer.unref();
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const connection = this.#connections.get(request.socket) ?? { id: 0, inFlight: 0 };
    const socket = request.socket;
    connection.inFlight++;
    clearTimeout(connection.headerTimer);
    this.#options.onRequest?.(socket);
    response.once('close', () => {
      connection.inFlight--;
      if (connection.inFlight === 0 && !socket.destroyed) this.#armHeaderTimer(socket, connection);
    });
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    const body = new RequestBody(request, this.#options.maxReplayBytes ?? 1024 * 1024);
    let target = this.#web;
    let redirectsFollowed = 0;
    /** The redirect that led to `target`, to explain a failure there. */
    let cameFrom: string | undefined;
    let error: AppError | undefined;
    try {
      const refusal = refuseBrowserRequest(request.headers, this.#options.anyHost ?? false, this.#options.listenHost);
      if (refusal) {
        request.resume();
        throw refusal;
      }
      const headers = endToEndHeaders(request.headers);
      delete headers.host;
      // Node's server already answered the client's "Expect: 100-continue" locally; upstream the
      // tunnel sets its own (see #send).
      delete headers.expect;
      if (request.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
      const clientAuthorization = headers.authorization !== undefined;
      const lookup = method === 'GET' && isLookupPath(path);
      // The lookup answer is rewritten, so it must come uncompressed.
      if (lookup) delete headers['accept-encoding'];
      const auth = this.#options.config.auth;
      // A client's own credential wins; the token is read on every request so a refreshed token
      // file is used at once. It is never logged: only `path` and the status go into events.
      if (headers.authorization === undefined && auth.kind === 'token') headers.authorization = `Bearer ${await auth.getToken()}`;

      let upstreamPath = path;
      let replay = false;
      let retried = false;
      const visited = [hostHeader(target)];
      for (;;) {
        let upstream: http.IncomingMessage;
        try {
          upstream = await this.#send({ target, method, path: upstreamPath, headers, body, replay });
        } catch (failure) {
          // A keep-alive connection the server closed just as it was reused: retry once, if the
          // body can be sent again.
          if (!retried && (failure as { reusedSocket?: boolean }).reusedSocket && body.replayable && !isAppError(failure)) {
            retried = true;
            body.detach();
            replay = true;
            continue;
          }
          const failed = upstreamError(failure, target);
          // The request's own body (too large to replay, its client gone) is no failure of the broker.
          const ofTheBody = failed.code === 'HTTP_REDIRECT_BODY_TOO_LARGE' || request.socket.destroyed;
          // The owner broker named by a redirect is unreachable: say so, keeping the dial's code.
          if (cameFrom !== undefined && !ofTheBody) throw new AppError(failed.code, `${failed.message} (The tunnel was following ${cameFrom}; each broker's web address must be a host name the proxy routes.)`, { cause: failed });
          throw failed;
        }
        const status = upstream.statusCode ?? 502;
        const location = upstream.headers.location;
        const followable = followAlways.has(status) || (followForSafeMethods.has(status) && (method === 'GET' || method === 'HEAD'));
        if (followable && location !== undefined) {
          // The redirect's own body is a short note; it is read and dropped so the connection can
          // be reused.
          upstream.resume();
          body.detach();
          const from = hostHeader(target);
          const decision = decideRedirect(target, location, { throughProxy: this.#options.config.proxy !== undefined, isClusterAddress: (address) => this.#isClusterAddress(address) });
          if (!decision.follow) {
            throw new AppError(
              decision.code,
              `${from} redirected ${method} ${loggablePath(upstreamPath)} (${status}) to ${loggablePath(location)}, which the tunnel does not follow: ${decision.reason}.`,
            );
          }
          if (redirectsFollowed >= (this.#options.maxRedirects ?? 5)) {
            throw new AppError('HTTP_TOO_MANY_REDIRECTS', `${method} ${loggablePath(path)} was redirected more than ${redirectsFollowed} times: ${[...visited, hostHeader(decision.target)].join(' → ')}.`);
          }
          if (formatHostPort(decision.target).toLowerCase() !== formatHostPort(this.#web).toLowerCase()) {
            if (clientAuthorization) {
              throw new AppError(
                'HTTP_REDIRECT_REFUSED',
                `${from} redirected ${method} ${loggablePath(upstreamPath)} (${status}) to ${hostHeader(decision.target)}, another host, and the request carries your own Authorization header, which the tunnel does not carry to another host. Send the request without Authorization so the tunnel adds the profile's credential, or use a profile whose credential is yours.`,
              );
            }
            delete headers.cookie;
          }
          redirectsFollowed++;
          cameFrom = `the ${status} redirect from ${from} to ${hostHeader(decision.target)}`;
          target = decision.target;
          upstreamPath = decision.path;
          visited.push(hostHeader(target));
          replay = true;
          retried = false;
          continue;
        }
        if (lookup && status === 200) await this.#answerLookup(upstream, response, target);
        else await this.#stream(upstream, response);
        break;
      }
    } catch (failure) {
      error = isAppError(failure) ? failure : upstreamError(failure, target);
      if (request.socket.destroyed) {
        // The local client left: nothing to answer, and nothing the tunnel did wrong.
        if (!isAppError(failure)) error = undefined;
      } else if (!response.headersSent) {
        answerError(response, error.code === 'HTTP_REDIRECT_BODY_TOO_LARGE' ? 413 : error.code === 'HTTP_REQUEST_REFUSED' ? 403 : 502, error);
      } else {
        // The answer broke off midway: the client must see a broken response, not a short one.
        response.destroy();
      }
      if (error) connection.lastError = error;
    }
    this.#options.emit({
      event: 'http.request',
      id: connection.id,
      method,
      path: loggablePath(path),
      // 0: the local client left before any answer head was sent.
      status: response.headersSent ? response.statusCode : 0,
      broker: formatHostPort(target),
      durationMs: Math.round(performance.now() - started),
      redirectsFollowed,
      ...(error ? { error: error.toJSON() } : {}),
    });
  }

  /**
   * True for the web service's address and any address the cluster has named (lookup answers, the
   * service): host AND port, so another program on another port of a cluster host gets nothing.
   */
  #isClusterAddress(address: DialTarget): boolean {
    const key = (target: DialTarget) => formatHostPort(target).toLowerCase();
    const wanted = key(address);
    if (wanted === key(this.#web) || this.#namedAddresses.has(wanted)) return true;
    for (const named of this.#options.clusterAddresses?.() ?? []) if (key(named) === wanted) return true;
    return false;
  }

  /** Sends one request upstream (see upstreamRequest.ts); resolves with its response head. */
  #send(options: { target: DialTarget; method: string; path: string; headers: http.OutgoingHttpHeaders; body: RequestBody; replay: boolean }): Promise<http.IncomingMessage> {
    return sendUpstream({ ...options, agent: this.#agents.agentFor(options.target), continueWaitMs: this.#options.continueWaitMs ?? 1_000 });
  }

  /** Passes a response through as it arrives: head first, then each chunk, with backpressure. */
  async #stream(upstream: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    response.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, endToEndHeaders(upstream.headers));
    response.flushHeaders();
    await pipeline(upstream, response);
  }

  /** Buffers (bounded), rewrites and sends an HTTP-lookup answer. */
  async #answerLookup(upstream: http.IncomingMessage, response: http.ServerResponse, target: DialTarget): Promise<void> {
    const limit = this.#options.maxLookupBytes ?? 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of upstream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        upstream.destroy();
        throw new AppError('HTTP_UPSTREAM_FAILED', `${hostHeader(target)} sent a lookup answer larger than ${limit} bytes; the tunnel rewrites lookup answers and does not buffer more.`);
      }
      chunks.push(chunk);
    }
    const original = Buffer.concat(chunks).toString('utf8');
    for (const address of lookupAnswerAddresses(original)) if (this.#namedAddresses.size < maxNamedAddresses) this.#namedAddresses.add(formatHostPort(address).toLowerCase());
    const rewritten = await rewriteLookupAnswer(original, { webUrl: this.#options.localWebUrl(), brokerLocalUrl: this.#options.brokerLocalUrl });
    const payload = Buffer.from(rewritten ?? original, 'utf8');
    const headers = endToEndHeaders(upstream.headers);
    delete headers['content-encoding'];
    headers['content-length'] = payload.length;
    response.writeHead(upstream.statusCode ?? 200, upstream.statusMessage, headers);
    response.end(payload);
  }
}
