/**
 * A stored profile as the UI and `profiles list|show` show it: the profile, which secrets the
 * keychain holds, and its certificates summarized. The store returns its own records; this is the
 * one place that maps them to the contract's {@link ProfileView}.
 */
import type { ProfileView } from '../../../shared/ipc/contract.ts';
import type { SecretKind, StoredProfile } from '../../../shared/model/storedProfile.ts';
import { summarizeStoredCertificates } from '../certificates/pemCertificates.ts';

/** The view of one stored profile without its tunnel status. */
export type StoredProfileView = Omit<ProfileView, 'tunnel'>;

/**
 * Maps a stored profile and its secrets' presence to the view.
 * @param now the clock, for the certificates' `daysLeft` and `status`
 */
export function profileViewOf(profile: StoredProfile, secrets: Record<SecretKind, boolean>, now = new Date()): StoredProfileView {
  const clientCert = summarizeStoredCertificates(profile.tlsCertificatePem, now)[0];
  return {
    profile,
    secrets,
    trustCerts: summarizeStoredCertificates(profile.tlsTrustCertsPem, now),
    ...(clientCert ? { clientCert } : {}),
  };
}
