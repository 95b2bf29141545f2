/**
 * Views of stored profiles for the UI and for exports: certificates summarized, and the Pulsar auth
 * plugin a profile corresponds to.
 */
import type { ProfileView } from '../../../shared/ipc/contract.ts';
import type { CertificateSummary } from '../../../shared/model/certificate.ts';
import { authPlugins } from '../../../shared/model/profile.ts';
import type { StoredProfile } from '../../../shared/model/storedProfile.ts';
import { summarizePem } from '../certificates/certificates.ts';
import type { StoredEntry } from './storeRecords.ts';

/** The UI's view of a stored entry (certificates summarized), without the tunnel status. */
export function describeEntry(entry: StoredEntry): Omit<ProfileView, 'tunnel'> {
  const trustCerts: CertificateSummary[] = entry.profile.tlsTrustCertsPem === undefined ? [] : safeSummaries(entry.profile.tlsTrustCertsPem);
  const clientCert = entry.profile.tlsCertificatePem === undefined ? undefined : safeSummaries(entry.profile.tlsCertificatePem)[0];
  return { profile: entry.profile, secrets: entry.secrets, trustCerts, ...(clientCert ? { clientCert } : {}) };
}

function safeSummaries(pem: string): CertificateSummary[] {
  try {
    return summarizePem(pem);
  } catch {
    return [];
  }
}

/** The auth plugin class a stored profile corresponds to, for exports to Pulsar formats. */
export function authPluginOf(profile: StoredProfile): string | undefined {
  if (profile.auth === 'token') return authPlugins.token;
  if (profile.auth === 'tls') return authPlugins.tls;
  return undefined;
}
