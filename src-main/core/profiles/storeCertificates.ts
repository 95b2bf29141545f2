/**
 * The certificate checks of a profile change: the CA bundle, and that the client key belongs to the
 * certificate and opens with its passphrase (reading the stored key when only the certificate changes).
 */
import { AppError } from '../../../shared/errors.ts';
import type { SecretKind, StoredProfile } from '../../../shared/model/storedProfile.ts';
import { checkClientCredentials, checkTrustCertificates } from '../certificates/pemCertificates.ts';
import type { StoredEntry } from './storeRecords.ts';

/** Reads a stored secret of the profile being changed (under the store lock). */
export interface PreviousSecrets {
clientKey(entry: StoredEntry): Promise<string>;
keyPassphrase(entry: StoredEntry): Promise<string | null>;
}

/**
 * Checks the certificates and keys that change when `previous` becomes `profile` with `secrets`;
 * returns warnings (e.g. a certificate that expires soon).
 * @throws AppError CERTIFICATE_INVALID, PROFILE_INVALID (a key without a certificate), KEYCHAIN_*.
 */
export async function checkCertificates(profile: StoredProfile, previous: StoredEntry | undefined, secrets: Partial<Record<SecretKind, string | null>>, stored: PreviousSecrets): Promise<string[]> {
  const warnings: string[] = [];
  const trustChanged = profile.tlsTrustCertsPem !== previous?.profile.tlsTrustCertsPem;
  if (profile.tlsTrustCertsPem !== undefined && trustChanged) warnings.push(...checkTrustCertificates(profile.tlsTrustCertsPem, 'tlsTrustCertsPem'));
  const certChanged = profile.tlsCertificatePem !== previous?.profile.tlsCertificatePem;
  const keyGiven = typeof secrets.clientKey === 'string';
  if (profile.tlsCertificatePem !== undefined && (certChanged || keyGiven || trustChanged)) {
    let keyPem = keyGiven ? (secrets.clientKey as string) : undefined;
    let passphrase = typeof secrets.keyPassphrase === 'string' ? secrets.keyPassphrase : undefined;
    if (keyPem === undefined && previous?.secrets.clientKey && secrets.clientKey !== null) {
      keyPem = await stored.clientKey(previous);
    }
    if (keyPem !== undefined && passphrase === undefined && previous?.secrets.keyPassphrase && secrets.keyPassphrase !== null) {
      passphrase = (await stored.keyPassphrase(previous)) ?? undefined;
    }
    const checked = checkClientCredentials({ certPem: profile.tlsCertificatePem, keyPem, keyPassphrase: passphrase, caPem: profile.tlsTrustCertsPem });
    warnings.push(...checked.warnings);
  } else if (keyGiven && profile.tlsCertificatePem === undefined) {
    throw new AppError('PROFILE_INVALID', 'tlsCertificatePem: is required when a client private key is given');
  }
  return warnings;
}
