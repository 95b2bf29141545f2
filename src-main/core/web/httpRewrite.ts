/**
 * Pure helpers of the web listener: which headers cross the tunnel, where a redirect points, how an
 * HTTP-lookup answer is rewritten to local addresses, and how a path is shown in the log without
 * secrets. No I/O here, so each rule can be tested on its own.
 */
import net from 'node:net';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { AppError } from '../../../shared/errors.ts';
import type { DialTarget } from '../tunnel/dialer.ts';
import { formatHostPort } from '../tunnel/dialer.ts';

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1, plus the de-facto `proxy-connection` and
 * `keep-alive`): they describe one connection, so they are never forwarded. Node sets its own
 * framing (`transfer-encoding`, `connection`) on each side.
 */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Headers of a request or response minus hop-by-hop ones (and any the Connection header names). */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name) || named.has(name)) continue;
    result[name] = value;
  }
  return result;
}

/** The Host header for a target: the port is left out when it is https's default (RFC 9110 7.2). */
export function hostHeader(target: DialTarget): string {
  return target.port === 443 ? formatHostPort({ host: target.host, port: 443 }).replace(/:443$/, '') : formatHostPort(target);
}

/** Query parameter names whose values are credentials in some Pulsar tool or proxy. */
// ("authoritative", a common Pulsar admin parameter, is not a secret and stays readable.)
const secretParameter = /token|^auth$|authori[sz]ation|auth_?param|pass|secret|key|sig|credential|session/i;

/** The request target for the log: path and query with secret-looking query values masked. */
export function loggablePath(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return url;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // A malformed escape is logged as sent; masking goes by the raw name then.
      }
      return equals >= 0 && secretParameter.test(decoded) ? `${name}=***` : pair;
    })
    .join('&');
  return `${url.slice(0, queryAt)}?${query}`;
}

/** Where a redirect sends the request, or why the tunnel will not follow it. */
export type RedirectDecision =
  | { follow: true; target: DialTarget; path: string }
  | { follow: false; reason: string };

/**
 * Decides whether the tunnel can follow a redirect from `from` to `location`. Only https addresses
 * with a host name are followed: the tunnel reaches brokers only through an SNI proxy, which routes
 * by the TLS server name; a plain http:// address has no TLS and an IP address has no server name
 * (RFC 6066 section 3 forbids SNI for IP literals), so neither can reach the right broker.
 */
export function decideRedirect(from: DialTarget, location: string, options: { throughProxy: boolean }): RedirectDecision {
  let url: URL;
  try {
    url = new URL(location, `https://${hostHeader(from)}/`);
  } catch {
    return { follow: false, reason: `the Location "${location}" is not a valid URL` };
  }
  const path = `${url.pathname}${url.search}`;
  if (url.protocol === 'http:') {
    return {
      follow: false,
      reason: `it points to the plain-HTTP address ${url.origin}; the tunnel reaches the cluster only over TLS through the proxy, so the brokers must redirect to their https web address (webServicePortTls)`,
    };
  }
  if (url.protocol !== 'https:') return { follow: false, reason: `its scheme "${url.protocol}" is not https` };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (options.throughProxy && net.isIP(host)) {
    return {
      follow: false,
      reason: `it points to the IP address ${host}; an SNI proxy routes by host name, so the brokers must advertise host names the proxy routes`,
    };
  }
  return { follow: true, target: { host, port: url.port === '' ? 443 : Number(url.port) }, path };
}

/** The fields of Pulsar's HTTP lookup answer (`GET /lookup/v2/topic/...`). */
const brokerFields = ['brokerUrl', 'brokerUrlTls', 'nativeUrl'] as const;
const httpFields = ['httpUrl', 'httpUrlTls'] as const;

/** True for an HTTP-lookup request path. */
export function isLookupPath(path: string): boolean {
  return /^\/lookup\/v2\/topic\//.test(path);
}

/**
 * Rewrites an HTTP-lookup answer to the tunnel's local addresses: the broker URLs to `brokerLocalUrl`
 * (the broker's local pulsar:// port; the TLS field too, because the local port speaks plain
 * Pulsar and the tunnel adds TLS itself, as the binary lookup rewrite does), and the web URLs to the
 * web listener. Returns undefined when the body is not a lookup answer (left unchanged then).
 * A broker URL the tunnel cannot map (no protocol inspection) is left as the cluster sent it.
 */
export async function rewriteLookupAnswer(
  body: string,
  addresses: { webUrl: string; brokerLocalUrl: (brokerUrl: string | undefined, brokerUrlTls: string | undefined) => Promise<string | undefined> },
): Promise<string | undefined> {
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return undefined;
  const record = answer as Record<string, unknown>;
  const text = (name: string): string | undefined => (typeof record[name] === 'string' && record[name] !== '' ? (record[name] as string) : undefined);
  if (![...brokerFields, ...httpFields].some((name) => text(name) !== undefined)) return undefined;
  const local = await addresses.brokerLocalUrl(text('brokerUrl') ?? text('nativeUrl'), text('brokerUrlTls'));
  if (local !== undefined) {
    for (const name of brokerFields) if (text(name) !== undefined || name === 'brokerUrl') record[name] = local;
  }
  for (const name of httpFields) if (text(name) !== undefined) record[name] = addresses.webUrl;
  return JSON.stringify(record);
}

const loopbackHostNames = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Refuses what only a web browser would send, because the web listener adds the profile's
 * credential to every request that has none: a page of another site posting to it (cross-site
 * request forgery: browsers send `Origin` / `Sec-Fetch-Site`, local tools do not), and a page whose
 * own name was made to resolve to this machine (DNS rebinding: its `Host` is not a loopback name).
 * @param anyHost true when the listener deliberately serves other machines (listen.allowNonLoopback)
 * @returns the error to answer with, or undefined to serve the request
 */
export function refuseBrowserRequest(headers: IncomingHttpHeaders, anyHost: boolean): AppError | undefined {
  const host = headers.host ?? '';
  const hostName = host.replace(/:\d+$/, '').toLowerCase();
  if (!anyHost && host !== '' && !loopbackHostNames.has(hostName) && !/^127\.\d+\.\d+\.\d+$/.test(hostName)) {
    return new AppError('HTTP_REQUEST_REFUSED', `The web listener refused a request for host "${host}": only loopback names reach it (a web page whose name resolves to this machine must not use your credentials).`);
  }
  const origin = headers.origin;
  if ((origin !== undefined && origin !== `http://${host}`) || headers['sec-fetch-site'] === 'cross-site') {
    return new AppError('HTTP_REQUEST_REFUSED', `The web listener refused a request from the web page ${origin ?? '(another site)'}: the tunnel adds your credentials here, so only local tools may use it.`);
  }
  return undefined;
}
