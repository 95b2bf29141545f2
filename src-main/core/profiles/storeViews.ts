/** The UI's view of a stored profile: its certificates summarized. */
import type { ProfileView } from '../../../shared/ipc/contract.ts';
import type { CertificateSummary } from '../../../shared/model/certificate.ts';
import { summarizePem } from '../certificates/pemCertificates.ts';
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
