/**
 * Pure helpers of the web listener: which headers cross the tunnel, where a redirect points, how an
 * HTTP-lookup answer is rewritten to local addresses, and how a path is shown in the log without
 * secrets. No I/O here, so each rule can be tested on its own.
 */
import net from 'node:net';
import { hostname } from 'node:os';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { AppError } from '../../../shared/errors.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1, plus the de-facto `proxy-connection` and
 * `keep-alive`): they describe one connection, so they are never forwarded. Node sets its own
 * framing (`transfer-encoding`, `connection`) on each side.
 */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Headers a Pulsar broker's web service takes as the real caller or client address when they come
 * from a proxy: `X-Original-Principal` (honoured from a caller authenticated as one of the
 * broker's proxyRoles) and the forwarding headers (`X-Forwarded-*`, `Forwarded`, `X-Real-IP`, used
 * with webServiceTrustXForwardedFor). The tunnel is no such proxy and adds the profile's credential,
 * so a local client's copies are dropped: beside a proxy-role credential they would let any local
 * process act as any role.
 */
const proxyTrust = /^(x-original-principal|x-forwarded-.*|forwarded|x-real-ip)$/;

/**
 * Headers of a request or response minus hop-by-hop ones (and any the Connection header names) and
 * minus the proxy-trust headers (see proxyTrust).
 */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name) || named.has(name) || proxyTrust.test(name)) continue;
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

/** Where a redirect sends the request, or why the tunnel will not follow it (and with which code). */
export type RedirectDecision =
  | { follow: true; target: DialTarget; path: string }
  | { follow: false; reason: string; code: 'HTTP_REDIRECT_UNREACHABLE' | 'HTTP_REDIRECT_REFUSED' };

/**
 * Decides whether the tunnel can follow a redirect from `from` to `location`, carrying the profile's
 * credential. Only https addresses are followed. Through an SNI proxy the address must be a host
 * name: the proxy routes by the TLS server name, and an IP address has none (RFC 6066 section 3
 * forbids SNI for IP literals); the proxy's routes keep the request inside the cluster. Without a
 * proxy nothing else would, so the address, host AND port, must be one the cluster has named
 * (`isClusterAddress`: the service and web addresses, and brokers named in lookup answers): a
 * redirect elsewhere, from a misconfigured or hostile endpoint, must not receive the credential, and
 * neither may another program listening on another port of a cluster host.
 */
export function decideRedirect(from: DialTarget, location: string, options: { throughProxy: boolean; isClusterAddress: (target: DialTarget) => boolean }): RedirectDecision {
  let url: URL;
  try {
    url = new URL(location, `https://${hostHeader(from)}/`);
  } catch {
    return { follow: false, code: 'HTTP_REDIRECT_UNREACHABLE', reason: `the Location "${location}" is not a valid URL` };
  }
  const path = `${url.pathname}${url.search}`;
  if (url.protocol === 'http:') {
    return {
      follow: false,
      code: 'HTTP_REDIRECT_UNREACHABLE',
      reason: `it points to the plain-HTTP address ${url.origin}; the tunnel reaches the cluster only over TLS through the proxy, so the brokers must redirect to their https web address (webServicePortTls)`,
    };
  }
  if (url.protocol !== 'https:') return { follow: false, code: 'HTTP_REDIRECT_UNREACHABLE', reason: `its scheme "${url.protocol}" is not https` };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (options.throughProxy && net.isIP(host)) {
    return {
      follow: false,
      code: 'HTTP_REDIRECT_UNREACHABLE',
      reason: `it points to the IP address ${host}; an SNI proxy routes by host name, so the brokers must advertise host names the proxy routes`,
    };
  }
  const target = { host, port: url.port === '' ? 443 : Number(url.port) };
  if (!options.throughProxy && !options.isClusterAddress(target)) {
    return {
      follow: false,
      code: 'HTTP_REDIRECT_REFUSED',
      reason: `${formatHostPort(target)} is not an address of this cluster; without a proxy the tunnel follows redirects (with your credential) only to the web service's address, the service address and the brokers the cluster has named in lookup answers, at the ports it named (look the topic up first, e.g. pulsar-admin topics lookup, if that broker is new to this tunnel)`,
    };
  }
  return { follow: true, target, path };
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

/** The addresses an HTTP-lookup answer names (its broker and web URLs), host in lower case. */
export function lookupAnswerAddresses(body: string): DialTarget[] {
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    return [];
  }
  if (typeof answer !== 'object' || answer === null) return [];
  const addresses: DialTarget[] = [];
  for (const name of [...brokerFields, ...httpFields]) {
    const value = (answer as Record<string, unknown>)[name];
    if (typeof value !== 'string' || !URL.canParse(value)) continue;
    const url = new URL(value);
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    // A URL without a port: the scheme's default (only https is ever followed; 443).
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    if (host !== '') addresses.push({ host, port });
  }
  return addresses;
}

const loopbackHostNames = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * What a browser sends and local tools (curl, pulsar-admin's Java client, Python requests) do not:
 * `Origin` (on cross-origin and every non-GET request), `Referer`, and the Fetch Metadata headers
 * (`Sec-Fetch-Site`, `-Mode`, `-Dest`, `-User`), which Chromium, Firefox and Safari send together on
 * every request to a trustworthy origin such as localhost (W3C Fetch Metadata Request Headers).
 * One exception: Node's fetch (undici) sends `Sec-Fetch-Mode: cors` alone, which no browser does
 * (a browser always adds `Sec-Fetch-Site`), so that header alone is not a mark.
 */
function browserMarks(headers: IncomingHttpHeaders): string[] {
  const marks: string[] = [];
  if (headers.origin !== undefined) marks.push(`Origin: ${headers.origin}`);
  // Only the referring page's origin: its path and query may hold that page's own secrets.
  if (headers.referer !== undefined) marks.push(`Referer: ${URL.canParse(headers.referer) ? new URL(headers.referer).origin : '(not a URL)'}`);
  const fetchMetadata = Object.keys(headers).filter((name) => name.startsWith('sec-fetch-'));
  const nodeFetch = fetchMetadata.length === 1 && fetchMetadata[0] === 'sec-fetch-mode' && headers['sec-fetch-mode'] === 'cors';
  if (!nodeFetch) for (const name of fetchMetadata) marks.push(`${name}: ${String(headers[name])}`);
  return marks;
}

/**
 * A navigation marked as one the user started (`Sec-Fetch-Site: none`, mode `navigate`). It is NOT
 * served: a browser keeps that mark on a navigation that another site redirected (Fetch Metadata
 * Request Headers, section 5.1: a redirect chain that started without an initiator stays `none`),
 * so a link opened from a mail or chat app, or a bookmark, to any site that answers 302 to the
 * listener would carry the same headers as an address typed into the address bar. Named apart only
 * to word its refusal.
 */
function userStartedNavigation(headers: IncomingHttpHeaders): boolean {
  return headers['sec-fetch-site'] === 'none' && headers['sec-fetch-mode'] === 'navigate';
}

/**
 * Refuses what a web page can make a browser send, because the web listener adds the profile's
 * credential to every request that has none. Any request a page started is refused, whatever its
 * site: another site's form or fetch (cross-site request forgery), and just as much an `<img>`,
 * no-cors `fetch` or `<iframe>` of another local page (`http://localhost:3000` is "same-site" to a
 * listener on localhost, yet another program's page). It is recognised by the headers browsers add
 * (see browserMarks). Also refused: a page whose own name was made to resolve to this machine (DNS
 * rebinding: its `Host` is not a loopback name). A navigation marked as the user's own
 * (`Sec-Fetch-Site: none`) is refused as well: a redirect from another site carries the same mark.
 *
 * On a listener that serves other machines (anyHost), browsers send no Fetch Metadata to an http://
 * LAN address, and a page can strip Referer, so two more refusals apply there: a Host that is not
 * an IP address, a loopback name, the configured listen.host or this machine's host name (DNS
 * rebinding, where the page could read the answers), and an Accept header asking for HTML or an
 * image (a navigation, link, <img> or <iframe>; local tools ask for JSON or anything). A page's
 * no-cors fetch or <script> GET still gets through, unreadable to the page: the protection does not
 * fully hold on such listeners (README, LISTEN_NOT_LOOPBACK).
 * @param anyHost true when the listener deliberately serves other machines (listen.allowNonLoopback)
 * @param listenHost the listener's configured host (a name other machines may use)
 * @returns the error to answer with, or undefined to serve the request
 */
export function refuseBrowserRequest(headers: IncomingHttpHeaders, anyHost: boolean, listenHost = ''): AppError | undefined {
  const host = headers.host ?? '';
  const hostName = host.replace(/:\d+$/, '').toLowerCase();
  const loopbackName = loopbackHostNames.has(hostName) || /^127\.\d+\.\d+\.\d+$/.test(hostName);
  if (!anyHost && host !== '' && !loopbackName) {
    return new AppError('HTTP_REQUEST_REFUSED', `The web listener refused a request for host "${host}": only loopback names reach it (a web page whose name resolves to this machine must not use your credentials).`);
  }
  if (anyHost) {
    const refusal = refuseOnSharedListener(headers, hostName, loopbackName, listenHost);
    if (refusal) return refusal;
  }
  if (userStartedNavigation(headers)) {
    return new AppError(
      'HTTP_REQUEST_REFUSED',
      `The web listener refused a browser navigation (Sec-Fetch-Site: none): the tunnel adds your credentials here, and it cannot tell an address you typed from a link another site or app redirected the browser to, which looks the same. Use a local tool instead (curl, pulsar-admin, a script).`,
    );
  }
  const marks = browserMarks(headers);
  if (marks.length > 0) {
    return new AppError(
      'HTTP_REQUEST_REFUSED',
      `The web listener refused a request a web page started (${marks.join(', ')}): the tunnel adds your credentials here, so only local tools (curl, pulsar-admin, scripts) may use it.`,
    );
  }
  return undefined;
}

/** The names other machines may use for a listener that serves them (besides IP addresses). */
function sharedListenerNames(listenHost: string): Set<string> {
  const names = new Set([hostname().toLowerCase(), hostname().toLowerCase().split('.')[0]!]);
  if (listenHost !== '') names.add(listenHost.toLowerCase());
  return names;
}

/** The refusals of a listener that serves other machines (see {@link refuseBrowserRequest}). */
function refuseOnSharedListener(headers: IncomingHttpHeaders, hostName: string, loopbackName: boolean, listenHost: string): AppError | undefined {
  const ipAddress = net.isIP(hostName.replace(/^\[(.*)\]$/, '$1')) !== 0;
  if (hostName !== '' && !loopbackName && !ipAddress && !sharedListenerNames(listenHost).has(hostName)) {
    return new AppError(
      'HTTP_REQUEST_REFUSED',
      `The web listener refused a request for host "${headers.host ?? ''}": other machines must name it by IP address, by this machine's host name or by listen.host (a web page whose name resolves to this machine must not use your credentials).`,
    );
  }
  const accept = (headers.accept ?? '').toLowerCase();
  if (/\btext\/html\b|\bimage\//.test(accept)) {
    return new AppError(
      'HTTP_REQUEST_REFUSED',
      `The web listener refused a request that asks for ${accept.includes('text/html') ? 'HTML' : 'an image'} (Accept: ${accept.slice(0, 80)}): a browser page or navigation, which must not use your credentials; local tools (curl, pulsar-admin, scripts) ask for */* or JSON.`,
    );
  }
  return undefined;
}
