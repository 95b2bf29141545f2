/**
 * Who may talk to the web host at all, checked before any token: the Host and Origin a request
 * names (DNS rebinding, other sites), and a request target the host can read as a path.
 */
import type { IncomingMessage } from 'node:http';
import type { SerializedError } from '../../shared/errors.ts';

/** The only address the web host listens on: the UI drives tunnels and sees credentials' effects. */
export const webHostAddress = '127.0.0.1';

/** Hosts a browser may name to reach us; any other Host header may be a DNS-rebinding attack. */
function allowedHosts(port: number): string[] {
  return [`${webHostAddress}:${port}`, `localhost:${port}`];
}

/**
 * Checks Host and Origin. Browsers always send Host and send Origin on cross-origin requests, POSTs
 * and WebSockets; a page on another site (or a rebound DNS name) fails here before the token check.
 */
export function checkOrigin(request: IncomingMessage, port: number): SerializedError | undefined {
  const hosts = allowedHosts(port);
  const host = (request.headers.host ?? '').toLowerCase();
  if (!hosts.includes(host)) {
    return { code: 'API_UNAUTHORIZED', message: `Host "${request.headers.host ?? ''}" is not allowed; open ${hosts.map((entry) => `http://${entry}`).join(' or ')}.` };
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !hosts.some((entry) => origin.toLowerCase() === `http://${entry}`)) {
    return { code: 'API_UNAUTHORIZED', message: `Requests from the origin "${origin}" are not allowed.` };
  }
  return undefined;
}

/** The refusal of a request whose target {@link requestUrl} cannot read. */
export const badTarget: SerializedError = { code: 'API_BAD_REQUEST', message: 'The request target is not a path on this host.' };

/**
 * The request's target on this host, or undefined: Node's parser accepts absolute-form targets
 * (RFC 9112 §3.2.2) that the WHATWG URL parser refuses, such as `http://[`.
 */
export function requestUrl(request: IncomingMessage, port: number): URL | undefined {
  try {
    return new URL(request.url ?? '/', `http://${webHostAddress}:${port}`);
  } catch {
    return undefined;
  }
}
