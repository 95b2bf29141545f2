/**
 * What the engine needs to run one profile's tunnel, with every file already read and every
 * reference resolved. Built from a profile file (profiles/profileFileLoader.ts) or from the profile store
 * plus the keychain; the engine never reads files or the keychain itself.
 */
import type { HostPort } from '../../../shared/model/profile.ts';
import { riskySettings, type RiskySetting } from '../../../shared/model/risks.ts';

/** How the tunnel authenticates to brokers on behalf of local clients that send no credentials. */
export type AuthConfig =
  | { kind: 'none' }
  /** The token is fetched on every use so a refreshed token file is picked up. Never logged. */
  | { kind: 'token'; getToken: () => Promise<string> }
  /** The client certificate in `tls` is the credential; CONNECT carries auth method "tls". */
  | { kind: 'tls' };

export interface TlsConfig {
  /** Trusted CA certificates (PEM); absent: the system's CAs. */
  caPem?: string;
  /** Client certificate chain and key (PEM), presented in every handshake when set. */
  certPem?: string;
  keyPem?: string;
  /** Passphrase of an encrypted keyPem. */
  keyPassphrase?: string;
  /** Check that the broker's certificate names the SNI host. Default true. */
  verifyHostname: boolean;
  /** Accept any broker certificate (tlsAllowInsecureConnection). */
  allowInsecure: boolean;
}

export interface TunnelConfig {
  /** Profile name, shown in logs. */
  name: string;
  /** serviceUrl host and port: the SNI (and target) of connections not bound to one broker. */
  service: HostPort;
  /** Where every TLS connection is dialed; absent: straight to the target host. */
  proxy?: HostPort;
  /** webServiceUrl host and port, for the web listener. */
  web?: HostPort;
  listen: { host: string; port: number; webPort?: number };
  tls: TlsConfig;
  auth: AuthConfig;
  /** "inspect": understand Pulsar's protocol (broker routing, credentials); "raw": bytes only. */
  pulsarProtocol: 'inspect' | 'raw';
  /** Seconds between the tunnel's own PINGs on an idle broker connection; 0: off. */
  keepAliveIntervalSeconds: number;
  /** Limit for the TCP connect to the proxy and, separately, for the TLS handshake. */
  connectionTimeoutMs: number;
}

/** The risky settings of a config to run (shared/model/risks.ts: the same list import and the UI show). */
export function configRisks(config: TunnelConfig): RiskySetting[] {
  return riskySettings({ tlsAllowInsecureConnection: config.tls.allowInsecure, tlsHostnameVerificationEnable: config.tls.verifyHostname, listen: { host: config.listen.host } });
}
