/**
 * Checks of what callers hand the profile store before anything is written: secret values, and the
 * profiles of an import (each validated, no two with one name).
 */
import { AppError } from '../../../shared/errors.ts';
import type { SecretKind, StoredProfile, StoredProfileInput } from '../../../shared/model/storedProfile.ts';
import { sameName, validateStoredProfile } from './validate.ts';

/** The secrets a profile has, by kind. Values only ever travel between the keychain and the engine. */
export type Secrets = Partial<Record<SecretKind, string>>;

/** A profile with its secrets, as an import brings it in. */
export interface ProfileWithSecrets {
  profile: StoredProfileInput;
  secrets: Secrets;
  /** Where it came from, for messages (e.g. `client.conf`). */
  source?: string;
}

/** An import item after validation. */
export interface PreparedImport {
  profile: StoredProfile;
  secrets: Secrets;
  /** Names the item in messages, e.g. `profile "prod" from client.conf`. */
  where: string;
}

/**
 * Checks secret values before they reach the keychain.
 * @throws AppError PROFILE_INVALID naming the secret.
 */
export function validateSecretValues(secrets: Partial<Record<SecretKind, string | null>>): void {
  const token = secrets.token;
  if (typeof token === 'string' && (token.trim() === '' || /\s/.test(token.trim()))) {
    throw new AppError('PROFILE_INVALID', 'token: must be one JWT without spaces or line breaks');
  }
  if (typeof secrets.clientKey === 'string' && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(secrets.clientKey)) {
    throw new AppError('PROFILE_INVALID', 'clientKey: must be a PEM private key ("-----BEGIN ... PRIVATE KEY-----")');
  }
  if (typeof secrets.keyPassphrase === 'string' && secrets.keyPassphrase === '') {
    throw new AppError('PROFILE_INVALID', 'keyPassphrase: must not be empty');
  }
}

/**
 * Validates every item of an import.
 * @throws AppError IMPORT_INVALID naming the profile and field, or two profiles with one name.
 */
export function prepareImport(items: ProfileWithSecrets[]): PreparedImport[] {
  if (items.length === 0) throw new AppError('IMPORT_INVALID', 'The file holds no profile to import.');
  const prepared = items.map((item) => {
    const where = `profile${typeof item.profile.name === 'string' ? ` "${item.profile.name}"` : ''}${item.source ? ` from ${item.source}` : ''}`;
    const profile = validateStoredProfile(item.profile, where, 'IMPORT_INVALID');
    try {
      validateSecretValues(item.secrets);
    } catch (error) {
      throw new AppError('IMPORT_INVALID', `${where}: ${(error as Error).message}`);
    }
    return { profile, secrets: item.secrets, where };
  });
  for (let i = 0; i < prepared.length; i++) {
    for (let j = 0; j < i; j++) {
      if (sameName(prepared[i]!.profile.name, prepared[j]!.profile.name)) throw new AppError('IMPORT_INVALID', `The file holds two profiles named "${prepared[i]!.profile.name}".`);
    }
  }
  return prepared;
}
