/**
 * The proxy configuration a profile needs, as text to hand to whoever runs the SNI proxy: ATS 9
 * `sni.yaml` + `records.config` lines (following docs/proxies.md, "ATS pitfalls": connect_ports, idle
 * timeouts, the host file), the haproxy and nginx equivalents, and the `pulsar-admin clusters
 * update` command of Pulsar's SNI-routing page (geo-replication through the same proxy).
 */
import net from 'node:net';
import type { ProxyConfigText } from '../../../shared/model/doctor.ts';
import type { HostPort } from '../../../shared/model/profile.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { formatHostPort } from '../../../shared/model/endpoints.ts';

/** One server name the proxy must route. */
export interface ProxyRoute {
  /** The server name clients send (the broker's advertised host). */
  host: string;
  /** The broker's TLS port (6651 usually). */
  port: number;
  /** Where the proxy reaches it, `host:port`; `host:port` of the name itself by default. */
  target?: string;
}

/** Options of {@link proxyConfigFor}. */
export interface ProxyConfigOptions {
  /** Where the proxy reaches the service host, `host:port`; the service host and port by default. */
  serviceTarget?: string;
  /** The Pulsar cluster name for the pulsar-admin command; a placeholder by default. */
  clusterName?: string;
}

/** Pulsar's default keepAliveIntervalSeconds: a proxy idle timeout must be well above it. */
const pulsarKeepAliveSeconds = 30;

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function identifier(host: string): string {
  return host.replace(/[^A-Za-z0-9]+/g, '_');
}

function portOf(target: string): number {
  const match = /:(\d+)$/.exec(target);
  return match ? Number(match[1]) : 443;
}

/** The idle timeout to recommend: twice Pulsar's keepalive at least, and above the tunnel's own. */
export function recommendedIdleTimeoutSeconds(config: Pick<TunnelConfig, 'keepAliveIntervalSeconds'>): number {
  return Math.max(pulsarKeepAliveSeconds * 4, config.keepAliveIntervalSeconds * 4);
}

/**
 * Builds the proxy configuration for `config`: a route for the service host and for each broker.
 * @param brokers broker names to route (from a lookup, or typed by the user); duplicates are merged
 */
export function proxyConfigFor(config: TunnelConfig, brokers: ProxyRoute[] = [], options: ProxyConfigOptions = {}): ProxyConfigText {
  const routes = new Map<string, string>();
  routes.set(config.service.host, options.serviceTarget ?? formatHostPort(config.service));
  for (const broker of brokers) {
    if (!routes.has(broker.host)) routes.set(broker.host, broker.target ?? formatHostPort({ host: broker.host, port: broker.port }));
  }
  const entries = [...routes.entries()];
  const connectPorts = [...new Set(entries.map(([, target]) => portOf(target)))].sort((a, b) => a - b);
  const needsHostFile = entries.some(([, target]) => net.isIP(target.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')) === 0);
  const idle = recommendedIdleTimeoutSeconds(config);
  const proxy: HostPort = config.proxy ?? { host: '<proxy-host>', port: 443 };
  const listenPort = proxy.port;

  const atsSniYaml = [
    `# ATS 9 sni.yaml: tunnel (do not terminate) TLS for each Pulsar name; the brokers keep their own`,
    `# certificates, so client certificates reach them end to end. Add every broker the cluster advertises.`,
    'sni:',
    ...entries.flatMap(([host, target]) => [`- fqdn: ${quote(host)}`, `  tunnel_route: ${quote(target)}`]),
    '',
  ].join('\n');

  const atsRecordsConfig = [
    `# records.config lines for the profile "${config.name}".`,
    `# The TLS listener the clients dial (proxyServiceUrl pulsar+ssl://${formatHostPort(proxy)}):`,
    `CONFIG proxy.config.http.server_ports STRING ${listenPort}:ssl`,
    '# A tunnel_route to a port not listed here gets a plaintext HTML error page instead of TLS:',
    `CONFIG proxy.config.http.connect_ports STRING ${connectPorts.join(' ')}`,
    `# Idle tunnels close after 30 s by default, racing Pulsar's 30 s keepalive; keep them well above it:`,
    `CONFIG proxy.config.http.transaction_no_activity_timeout_in INT ${idle}`,
    `CONFIG proxy.config.http.transaction_no_activity_timeout_out INT ${idle}`,
    ...(needsHostFile
      ? ['# ATS ignores /etc/hosts unless told; an unresolvable route host also gets an HTML error page:', 'CONFIG proxy.config.hostdb.host_file.path STRING /etc/hosts']
      : []),
    '# Also needed: ip_allow.yaml allowing the clients, and ssl_multicert.config (may be empty: then an',
    '# unknown name gets TLS alert 40 instead of an HTTP 400 from a default certificate).',
    '',
  ].join('\n');

  const haproxy = [
    '# haproxy: route TLS by SNI without terminating it (mode tcp, req.ssl_sni).',
    'frontend pulsar_sni',
    '    mode tcp',
    `    bind :${listenPort}`,
    `    timeout client ${idle}s`,
    '    # Wait for the whole ClientHello before choosing a backend.',
    '    tcp-request inspect-delay 5s',
    '    tcp-request content accept if { req.ssl_hello_type 1 }',
    ...entries.map(([host]) => `    use_backend pulsar_${identifier(host)} if { req.ssl_sni -i ${host} }`),
    '',
    ...entries.flatMap(([host, target]) => [
      `backend pulsar_${identifier(host)}`,
      '    mode tcp',
      '    timeout connect 5s',
      `    timeout server ${idle}s`,
      `    server ${identifier(host)} ${target}`,
      '',
    ]),
  ].join('\n');

  const nginx = [
    '# nginx (stream module, libnginx-mod-stream): route TLS by SNI without terminating it.',
    'stream {',
    ...entries.flatMap(([host, target]) => [`    upstream pulsar_${identifier(host)} { server ${target}; }`]),
    '',
    '    map $ssl_preread_server_name $pulsar_upstream {',
    ...entries.map(([host]) => `        ${host} pulsar_${identifier(host)};`),
    '        # No default: a name without a route gets no upstream and is closed without an answer.',
    '    }',
    '',
    '    server {',
    `        listen ${listenPort};`,
    '        ssl_preread on;',
    '        proxy_pass $pulsar_upstream;',
    `        proxy_timeout ${idle}s;`,
    '        # nginx >= 1.21.4 closes both directions on a client FIN without it, dropping replies.',
    '        proxy_half_close on;',
    '    }',
    '}',
    '',
  ].join('\n');

  const pulsarAdmin = [
    '# Lets brokers of other clusters (geo-replication) reach this cluster through the same SNI proxy:',
    `pulsar-admin clusters update ${options.clusterName ?? '<cluster-name>'} \\`,
    `  --broker-url-secure pulsar+ssl://${formatHostPort(config.service)} \\`,
    ...(config.web ? [`  --url-secure https://${formatHostPort(config.web)} \\`] : []),
    '  --proxy-protocol SNI \\',
    `  --proxy-url pulsar+ssl://${formatHostPort(proxy)}`,
    '',
  ].join('\n');

  return { atsSniYaml, atsRecordsConfig, haproxy, nginx, pulsarAdmin };
}
