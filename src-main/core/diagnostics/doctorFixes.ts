/**
 * The Doctor's explanations: for a failure code, what the Doctor knows beyond the error's own
 * message (the proxy configuration to add for the name that failed, other causes of the same
 * symptom), quoting docs/proxies.md's facts; never the same advice twice.
 */
import { keyExchangeGroups } from '../transport/dialer.ts';

/** The names a fix refers to: the SNI name, the route target, the proxy address. */
export interface FixContext {
  sni: string;
  route: string;
  proxy: string;
}

/**
 * What to change for a failure beyond what the error's own message says. The message already says
 * what happened and what to do, so this is only the further detail the Doctor knows (the proxy
 * configuration to add, other causes of the same symptom), or undefined: never the same advice twice.
 */
export function fixFor(code: string, context: FixContext): string | undefined {
  const sniYaml = `- fqdn: '${context.sni}'\n  tunnel_route: '${context.route}'`;
  switch (code) {
    case 'PROXY_UNREACHABLE':
      return 'With ATS, the proxy listens on the ports in proxy.config.http.server_ports (records.config).';
    case 'PROXY_NO_ROUTE':
      return `The route to add, in ATS sni.yaml:\n${sniYaml}\nhaproxy: use_backend ... if { req.ssl_sni -i ${context.sni} }; nginx: an entry in map $ssl_preread_server_name (see the generated proxy configuration).`;
    case 'PROXY_ANSWERED_PLAINTEXT':
      return `ATS allows tunnels to port 443 only by default: list the route's port in proxy.config.http.connect_ports (records.config), and set proxy.config.hostdb.host_file.path so ATS resolves the tunnel_route host from /etc/hosts. The sni.yaml entry should read\n${sniYaml}`;
    case 'PROXY_ROUTE_DEAD':
      return `With haproxy or nginx this is also how a name without a route is refused: add "${context.sni}" to use_backend (req.ssl_sni) or the ssl_preread map.`;
    case 'TUNNEL_TLS_HANDSHAKE_TIMEOUT':
      return `No TLS answer at all: a firewall, a proxy port that is not TLS, or ATS 9.2 hanging on a ClientHello that arrived in pieces (pulsar-tunnel sends it in one write with groups ${keyExchangeGroups}; other clients with post-quantum key shares may not). Check the proxy port and its logs.`;
    case 'TUNNEL_TLS_UNTRUSTED':
      return `If the issuer shown is the proxy's own, the proxy terminates TLS for "${context.sni}" instead of tunnelling it: ATS has no tunnel_route for that name but a default certificate in ssl_multicert.config; add the route.`;
    case 'TUNNEL_TLS_HOSTNAME_MISMATCH':
      return `If the certificate names the proxy, the proxy terminates TLS for "${context.sni}" instead of tunnelling it (ATS: no tunnel_route for it, but a default certificate): add the route. If it names another broker, the route for "${context.sni}" points at the wrong broker.`;
    case 'PULSAR_AUTH_REJECTED':
      return 'Check the credential: the token (authParams, or the token in the app) must be valid for this cluster and not expired, or the client certificate\'s role must be known; then check the role\'s permissions.';
    case 'PULSAR_HTTP_RESPONSE':
      return `The route for "${context.sni}" should end at the broker's TLS port (6651), not its admin port (8080/8443).`;
    case 'PULSAR_CONNECT_FAILED':
      return 'Check that the route ends at a Pulsar broker\'s TLS port (brokerServicePortTls, 6651) and the broker logs.';
    case 'PULSAR_LOOKUP_FAILED':
      return 'Check the topic name (persistent://tenant/namespace/topic), that the namespace exists, and that the role may look it up.';
    default:
      // The message says it all (PROXY_DNS_FAILED, PROXY_CONNECT_TIMEOUT, TUNNEL_TLS_CERT_EXPIRED,
      // TUNNEL_TLS_CLIENT_CERT_REJECTED, PROFILE_*: each names the field or setting to change).
      return undefined;
  }
}

/** `{ fix }` when there is one, so a step without further advice has no `fix` at all. */
export function withFix(fix: string | undefined): { fix?: string } {
  return fix === undefined ? {} : { fix };
}
