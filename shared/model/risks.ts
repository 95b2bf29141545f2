/**
 * The one list of risky profile settings: allowed (a user may need them), but each one weakens what
 * the tunnel protects, so import, every `run` start, the Doctor and the UI all warn with the same
 * stable code and words. Pure: works on a profile file, a stored profile or the engine's settings.
 */
import { isLoopbackHost } from './profile.ts';

/** Stable codes of risky settings, each with what it means and what to do. */
export const riskCatalog = {
  TLS_INSECURE_CONNECTION:
    'tlsAllowInsecureConnection is true: any broker certificate is accepted, so whoever sits on the network path can pose as the cluster and receive the credentials; trust the brokers\' CA (tlsTrustCertsFilePath) and set it to false.',
  TLS_HOSTNAME_NOT_VERIFIED:
    'tlsHostnameVerificationEnable is false: a certificate the CA issued to any other host is accepted for the brokers; turn it back on once the broker certificates name their hosts.',
  LISTEN_NOT_LOOPBACK:
    'listen.host is not a loopback address: other machines can connect to the tunnel, whose local side is plain TCP, and use the profile\'s credentials, and the web listener\'s protection against web pages does not fully hold (browsers send no Fetch Metadata to a LAN address: a page\'s fetch or script by IP address still reaches the cluster with your credentials, though it cannot read the answer); listen on 127.0.0.1 unless they must.',
} as const;

/** A stable code of a risky setting. */
export type RiskCode = keyof typeof riskCatalog;

/** One risky setting of a profile. */
export interface RiskySetting {
  code: RiskCode;
  /** The profile key, e.g. `tlsAllowInsecureConnection` or `listen.host`. */
  field: string;
  /** What it means and what to do. */
  message: string;
}

/** The settings the check reads, in the profile's own key names (file and store agree on them). */
export interface RiskInput {
  tlsAllowInsecureConnection?: boolean;
  tlsHostnameVerificationEnable?: boolean;
  listen?: { host?: string };
}

/**
 * Lists the risky settings of a profile (empty when it has none). Defaults are safe: hostname
 * verification is on and the listener is on 127.0.0.1 unless the profile says otherwise.
 */
export function riskySettings(profile: RiskInput): RiskySetting[] {
  const risks: RiskySetting[] = [];
  if (profile.tlsAllowInsecureConnection === true) {
    risks.push({ code: 'TLS_INSECURE_CONNECTION', field: 'tlsAllowInsecureConnection', message: riskCatalog.TLS_INSECURE_CONNECTION });
  }
  if (profile.tlsHostnameVerificationEnable === false) {
    risks.push({ code: 'TLS_HOSTNAME_NOT_VERIFIED', field: 'tlsHostnameVerificationEnable', message: riskCatalog.TLS_HOSTNAME_NOT_VERIFIED });
  }
  const host = profile.listen?.host;
  if (host !== undefined && !isLoopbackHost(host)) {
    risks.push({ code: 'LISTEN_NOT_LOOPBACK', field: 'listen.host', message: `listen.host "${host}" ${riskCatalog.LISTEN_NOT_LOOPBACK.slice('listen.host '.length)}` });
  }
  return risks;
}

/** One line for a risky setting, e.g. for a CLI warning: `TLS_INSECURE_CONNECTION: tlsAllow...`. */
export function formatRisk(risk: RiskySetting): string {
  return `${risk.code}: ${risk.message}`;
}
