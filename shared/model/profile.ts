/**
 * The profile file, version 1: one JSON object describing how to reach one Pulsar cluster through an
 * SNI-routing proxy and where to listen locally. Key names follow Pulsar's client configuration
 * (client.conf / ClientConfigurationData) wherever Pulsar has one. This schema is the single
 * validator for the CLI, the UI and every import.
 */
import { z } from 'zod';
import { parseTokenAuthParams, tokenAuthParamsForms } from './authParams.ts';
import { printable } from './printable.ts';

/** Pulsar's auth plugin class names that the tunnel understands. */
export const authPlugins = {
  token: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
  tls: 'org.apache.pulsar.client.impl.auth.AuthenticationTls',
} as const;

/** A parsed `scheme://host:port` address. */
export interface HostPort {
  host: string;
  port: number;
}

const defaultPorts: Record<string, number> = { 'pulsar+ssl:': 6651, 'pulsar:': 6650, 'https:': 443, 'http:': 80 };

/**
 * Parses `scheme://host[:port][/]` with one of `schemes`, returning host and port (the scheme's
 * default port when absent), or a reason it is not usable. IPv6 hosts come back without brackets.
 */
export function parseServiceUrl(value: string, schemes: readonly string[]): HostPort | string {
  if (value.trim() === '') return `is empty; expected ${schemes.map((s) => `${s}//host:port`).join(' or ')}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The URL parser refuses a port over 65535 like any malformed URL: say which it is.
    const port = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:\[[^\]]*\]|[^/:[\]]*):(\d+)\/?$/.exec(value.trim())?.[1];
    if (port !== undefined && Number(port) > 65535) return `"${value}": the port ${port} is out of range; a port is a whole number from 1 to 65535`;
    return `"${value}" is not a URL; expected ${schemes.map((s) => `${s}//host:port`).join(' or ')}`;
  }
  if (!schemes.includes(url.protocol)) {
    return `"${value}" must start with ${schemes.map((s) => `${s}//`).join(' or ')}`;
  }
  if (!url.hostname) return `"${value}" has no host`;
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash || url.username) {
    return `"${value}" must be only scheme://host:port (one host, no path)`;
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port ? Number(url.port) : (defaultPorts[url.protocol] ?? 0);
  return { host, port };
}

/**
 * True for names and addresses that stay on this machine: localhost, 127.0.0.0/8, and ::1 and
 * 127.0.0.0/8 mapped into IPv6 in any spelling (`0:0:0:0:0:0:0:1`, `::ffff:127.0.0.1`, `::ffff:7f00:1`).
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (bare === 'localhost' || /^127(\.\d{1,3}){3}$/.test(bare)) return true;
  if (!bare.includes(':')) return false;
  let canonical: string;
  try {
    // The URL parser writes an IPv6 address in its one canonical form (RFC 5952).
    canonical = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return false;
  }
  return canonical === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(canonical);
}

/** The loopback addresses a listener may use without listen.allowNonLoopback, in words. */
export const loopbackAddresses = 'localhost, 127.0.0.0/8 such as 127.0.0.1, and ::1 or ::ffff:127.0.0.1 in any IPv6 spelling';

/**
 * A whole number from `min` to `max`, with one message for every way a value can miss it (not a
 * number, a fraction, out of range), in the words of the other messages.
 */
export function wholeNumber(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

/** A string field holding a `scheme://host:port` URL with one of `schemes`. */
export function urlField(schemes: readonly string[]) {
  return z.string().superRefine((value, ctx) => {
    const parsed = parseServiceUrl(value, schemes);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  });
}

const port = wholeNumber(0, 65535);

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const hostName = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** True for an IPv6 address without brackets (`::1`, `fe80::1%eth0` is not accepted: no zone ids). */
function isIpv6(value: string): boolean {
  return z.ipv6().safeParse(value).success;
}

/**
 * A local listen address as written: an IPv4 address, an IPv6 address with or without brackets
 * (`::1` or `[::1]`, as URLs write it), or a host name. The brackets are removed, because a socket
 * listens on the bare address (`[::1]` would be looked up as a host name and fail).
 */
export const listenHostField = z
  .string()
  .superRefine((value, ctx) => {
    const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
    if (bare === '') ctx.addIssue({ code: 'custom', message: 'must not be empty; give a local address such as 127.0.0.1 or ::1' });
    else if (!ipv4.test(bare) && !isIpv6(bare) && (bare !== value || !hostName.test(bare))) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not an IP address or host name; write e.g. 127.0.0.1, ::1 or [::1]` });
    }
  })
  .transform((value) => (value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value));

export const listenSchema = z.strictObject({
  /** Local address to listen on; 127.0.0.1 unless set. IPv6 may be written with brackets. */
  host: listenHostField.optional(),
  /** Local port for Pulsar's binary protocol; 0 picks a free port. Default 6650. */
  port: port.optional(),
  /** Local port for plain HTTP to the cluster's web service (admin API); absent: no web listener. */
  webPort: port.optional(),
  /** Must be true to listen on anything but loopback: the local side is plain TCP with injected credentials. */
  allowNonLoopback: z.boolean().optional(),
});

/** The fields that say which cluster and how to reach it, the same in the file and in the store. */
export const clusterFields = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  serviceUrl: urlField(['pulsar+ssl:']),
  proxyServiceUrl: urlField(['pulsar+ssl:']).optional(),
  proxyProtocol: z.literal('SNI').optional(),
  webServiceUrl: urlField(['https:']).optional(),
};

export const profileFileSchema = z
  .strictObject({
    version: z.literal(1).optional(),
    ...clusterFields,
    tlsTrustCertsFilePath: z.string().min(1).optional(),
    tlsCertificateFilePath: z.string().min(1).optional(),
    tlsKeyFilePath: z.string().min(1).optional(),
    tlsHostnameVerificationEnable: z.boolean().optional(),
    tlsAllowInsecureConnection: z.boolean().optional(),
    authPlugin: z.enum([authPlugins.token, authPlugins.tls]).optional(),
    authParams: z.string().optional(),
    listen: listenSchema.optional(),
    /** "inspect" understands Pulsar's protocol (broker routing, credentials); "raw" tunnels bytes only. */
    pulsarProtocol: z.enum(['inspect', 'raw']).optional(),
    /** Seconds between the tunnel's own PINGs to the broker on an idle connection; 0 turns them off. */
    keepAliveIntervalSeconds: wholeNumber(0, 3600).optional(),
    /** Limit for the TCP connect to the proxy and, again, for the TLS handshake. Default 10,000. */
    connectionTimeoutMs: wholeNumber(100, 600_000).optional(),
  })
  .superRefine((profile, ctx) => {
    const host = profile.listen?.host;
    if (host !== undefined && !isLoopbackHost(host) && profile.listen?.allowNonLoopback !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['listen', 'host'],
        message: `"${host}" is not a loopback address (those are ${loopbackAddresses}); local connections are plain TCP, so set listen.allowNonLoopback to true only if other machines may use this tunnel`,
      });
    }
    if (profile.tlsCertificateFilePath !== undefined && profile.tlsKeyFilePath === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tlsKeyFilePath'], message: 'is required when tlsCertificateFilePath is set' });
    }
    if (profile.tlsKeyFilePath !== undefined && profile.tlsCertificateFilePath === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tlsCertificateFilePath'], message: 'is required when tlsKeyFilePath is set' });
    }
    if (profile.authPlugin === authPlugins.token) {
      const token = parseTokenAuthParams(profile.authParams ?? '');
      if (profile.authParams === undefined) ctx.addIssue({ code: 'custom', path: ['authParams'], message: `is required with AuthenticationToken: use ${tokenAuthParamsForms}` });
      else if (typeof token === 'string') ctx.addIssue({ code: 'custom', path: ['authParams'], message: token });
    }
    if (profile.authPlugin === authPlugins.tls && profile.tlsCertificateFilePath === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tlsCertificateFilePath'], message: 'is required with AuthenticationTls (the client certificate is the credential)' });
    }
    if (profile.listen?.webPort !== undefined && profile.webServiceUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['webServiceUrl'], message: 'is required when listen.webPort is set (it is where the web listener forwards to)' });
    }
  });

/** A profile file as written by a user (version 1). */
export type ProfileFile = z.infer<typeof profileFileSchema>;

/** What some fields must be, in words, for a value of the wrong type. */
const expectedShape: Record<string, string> = {
  listen: 'an object with host and port, e.g. {"host": "127.0.0.1", "port": 6650}',
};

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * The known field `key` was most likely meant to be: the same name in other case (proxyServiceURL),
 * or one a few edits away (servceUrl); undefined when none is close.
 */
export function closestField(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const same = known.find((name) => name.toLowerCase() === lower);
  if (same !== undefined) return same;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= Math.max(1, Math.floor(name.length / 4)) && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Levenshtein distance (insertions, deletions, substitutions), one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * Turns schema issues into one line per problem, each naming the field by its dotted path and
 * saying what it must be, e.g. `listen.port: must be at most 65535`, `unknown field "servceUrl"`,
 * `serviceUrl: is required` or `listen: must be an object with host and port, not the text "abc"`.
 * @param input the value that was parsed: it tells a missing field from one of the wrong type.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input?: unknown): string[] {
  // Key names and values come from the file: escaped, so each issue stays on its one line.
  return issues.map((issue) => printable(describeIssue(issue, input)));
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = path ? ` in ${path}` : '';
    return issue.keys
      .map((key) => {
        const near = closestField(key, path === 'listen' ? Object.keys(listenSchema.shape) : path === '' ? Object.keys(profileFileSchema.shape) : []);
        return `unknown field "${key}"${where}${near === undefined ? '' : `: did you mean "${near}"?`}`;
      })
      .join('; ');
  }
  const value = valueAt(input, issue.path);
  if (issue.code === 'invalid_type') {
    if (value === undefined) return `${path}: is required`;
    // A number field says its range (wholeNumber) rather than zod's type name ("a int").
    if ((issue.expected === 'number' || issue.expected === 'int') && issue.message.startsWith('must be ')) return `${path}: ${issue.message}, not ${typeName(value)}`;
    const expected = expectedShape[path] ?? (issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`);
    return `${path || '(profile)'}: must be ${expected}, not ${typeName(value)}`;
  }
  if (issue.code === 'invalid_value' && value !== undefined && value !== '') {
    const allowed = issue.values.map((allowedValue) => JSON.stringify(allowedValue));
    return `${path || '(profile)'}: must be ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}, not ${typeName(value)}`;
  }
  // An empty text where a value belongs is a missing value, not a malformed one.
  if (value === '' && path !== '') return `${path}: is required${issue.message.startsWith('is empty;') ? issue.message.slice('is empty'.length) : ''}`;
  return `${path || '(profile)'}: ${issue.message}`;
}
