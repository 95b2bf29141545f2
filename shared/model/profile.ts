/**
 * The profile file, version 1: one JSON object describing how to reach one Pulsar cluster through an
 * SNI-routing proxy and where to listen locally. Key names follow Pulsar's client configuration
 * (client.conf / ClientConfigurationData) wherever Pulsar has one. This schema is the single
 * validator for the CLI, the UI and every import.
 */
import { z } from 'zod';

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
  let url: URL;
  try {
    url = new URL(value);
  } catch {
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

/** True for names and addresses that stay on this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || bare === '::ffff:127.0.0.1';
}

/** A string field holding a `scheme://host:port` URL with one of `schemes`. */
export function urlField(schemes: readonly string[]) {
  return z.string().superRefine((value, ctx) => {
    const parsed = parseServiceUrl(value, schemes);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  });
}

const port = z.number().int().min(0).max(65535);

export const listenSchema = z.strictObject({
  /** Local address to listen on; 127.0.0.1 unless set. */
  host: z.string().min(1).optional(),
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
    keepAliveIntervalSeconds: z.number().int().min(0).max(3600).optional(),
    /** Limit for the TCP connect to the proxy and, again, for the TLS handshake. Default 10,000. */
    connectionTimeoutMs: z.number().int().min(100).max(600_000).optional(),
  })
  .superRefine((profile, ctx) => {
    const host = profile.listen?.host;
    if (host !== undefined && !isLoopbackHost(host) && profile.listen?.allowNonLoopback !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['listen', 'host'],
        message: `"${host}" is not a loopback address; local connections are plain TCP, so set listen.allowNonLoopback to true only if other machines may use this tunnel`,
      });
    }
    if (profile.tlsCertificateFilePath !== undefined && profile.tlsKeyFilePath === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tlsKeyFilePath'], message: 'is required when tlsCertificateFilePath is set' });
    }
    if (profile.tlsKeyFilePath !== undefined && profile.tlsCertificateFilePath === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tlsCertificateFilePath'], message: 'is required when tlsKeyFilePath is set' });
    }
    if (profile.authPlugin === authPlugins.token && !profile.authParams) {
      ctx.addIssue({ code: 'custom', path: ['authParams'], message: 'is required with AuthenticationToken: use token:<jwt>, file://<path> or env:<VARIABLE>' });
    }
    if (profile.authPlugin === authPlugins.token && profile.authParams && !/^(token:|file:|env:)/.test(profile.authParams)) {
      ctx.addIssue({ code: 'custom', path: ['authParams'], message: 'must be token:<jwt>, file://<path> or env:<VARIABLE>' });
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

/**
 * Turns schema issues into one line per problem, each naming the field by its dotted path,
 * e.g. `listen.port: must be at most 65535` or `unknown field "servceUrl"`.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const where = path ? ` in ${path}` : '';
      return issue.keys.map((key) => `unknown field "${key}"${where}`).join('; ');
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      return `${path}: is required`;
    }
    return `${path || '(profile)'}: ${issue.message}`;
  });
}
