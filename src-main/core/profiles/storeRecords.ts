/**
 * The profile files of the store: their envelope (schema version, which secrets exist, and which
 * keychain items hold them), the migrations of older versions, and reading one file into an entry.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import { secretKinds, type SecretKind, type StoredProfile } from '../../../shared/model/storedProfile.ts';
import { validateStoredProfile } from './validate.ts';

/** The current version of a profile file in the store. */
export const storeSchemaVersion = 2;

/** One stored profile with the references to its secrets. */
export interface StoredEntry {
  profile: StoredProfile;
  /** Which secrets the keychain holds for this profile. */
  secrets: Record<SecretKind, boolean>;
  /**
   * The generation of the keychain items that hold the secrets (see storeSecrets.ts); absent for
   * a profile written by 0.1.0 whose items are not yet copied into the store's own scope.
   */
  generation?: string;
  updatedAt: string;
}

/** A profile file as stored. */
export interface FileRecord {
  schemaVersion: number;
  profile: unknown;
  secrets: SecretKind[];
  /** The generation of the keychain items holding `secrets`; absent: 0.1.0's items `<profile>/<kind>`. */
  generation?: string;
  updatedAt: string;
}

/**
 * Migrations, keyed by the version they upgrade from; each returns the next version's record.
 * Version 0 is a bare profile object without the envelope, with boolean `hasToken`/`hasClientKey`
 * flags (no released build wrote it). Version 1 (0.1.0) kept secrets in keychain items named
 * `<profile>/<kind>` shared by every store; version 2 names the generation of the store's own
 * items. A version 1 record becomes a version 2 record without a generation, which the store
 * copies into its own scope the first time it reaches the keychain (storeKeychainScope.ts).
 */
const migrations: Record<number, (record: Record<string, unknown>) => Record<string, unknown>> = {
  0: (bare) => {
    const { hasToken, hasClientKey, ...profile } = bare;
    const secrets: SecretKind[] = [];
    if (hasToken === true) secrets.push('token');
    if (hasClientKey === true) secrets.push('clientKey');
    return { schemaVersion: 1, profile, secrets, updatedAt: new Date(0).toISOString() };
  },
  1: (record) => {
    const { generation: _ignored, ...rest } = record;
    return { ...rest, schemaVersion: 2 };
  },
};

/** Thrown inside the store for a file that cannot be used; the caller moves it aside. */
export class DamagedFile extends Error {}

/** A file written by a newer version of the app: reported and left alone. */
export class NewerFile extends Error {}

function migrate(raw: unknown): FileRecord {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DamagedFile('it is not a JSON object');
  let record = raw as Record<string, unknown>;
  let version = typeof record.schemaVersion === 'number' ? record.schemaVersion : 0;
  if (version > storeSchemaVersion) throw new NewerFile(`it was written by a newer pulsar-tunnel (store schema ${version}, this one knows ${storeSchemaVersion}); update pulsar-tunnel`);
  while (version < storeSchemaVersion) {
    const step = migrations[version];
    if (!step) throw new DamagedFile(`no migration from store schema ${version}`);
    record = step(record);
    version = record.schemaVersion as number;
  }
  const secrets = Array.isArray(record.secrets) ? record.secrets.filter((kind): kind is SecretKind => (secretKinds as readonly unknown[]).includes(kind)) : [];
  if (record.generation !== undefined && (typeof record.generation !== 'string' || !/^[0-9a-f]{8,32}$/.test(record.generation))) throw new DamagedFile('its "generation" is not a hex string');
  return {
    schemaVersion: version,
    profile: record.profile,
    secrets,
    ...(record.generation === undefined ? {} : { generation: record.generation }),
    updatedAt: typeof record.updatedAt === 'string' ? record.updatedAt : new Date(0).toISOString(),
  };
}

function toEntry(record: FileRecord, fileName: string): StoredEntry {
  let profile: StoredProfile;
  try {
    profile = validateStoredProfile(record.profile);
  } catch (error) {
    throw new DamagedFile((error as Error).message);
  }
  if (`${profile.name}.json` !== fileName) throw new DamagedFile(`it holds profile "${profile.name}", not "${fileName.slice(0, -5)}"`);
  const secrets = Object.fromEntries(secretKinds.map((kind) => [kind, record.secrets.includes(kind)])) as Record<SecretKind, boolean>;
  return { profile, secrets, ...(record.generation === undefined ? {} : { generation: record.generation }), updatedAt: record.updatedAt };
}

/**
 * Reads one profile file: the entry, or undefined when it does not exist.
 * @throws DamagedFile, NewerFile, AppError PROFILE_UNREADABLE.
 */
export async function readProfileFile(profilesDir: string, fileName: string): Promise<StoredEntry | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(profilesDir, fileName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError('PROFILE_UNREADABLE', `The stored profile ${path.join(profilesDir, fileName)} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); check its permissions.`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DamagedFile(`it is not valid JSON (${(error as Error).message})`);
  }
  return toEntry(migrate(raw), fileName);
}

/** The entry a profile file will hold, and its text. */
export function profileRecord(profile: StoredProfile, secrets: Record<SecretKind, boolean>, generation: string | undefined): { entry: StoredEntry; text: string } {
  const updatedAt = new Date().toISOString();
  const kinds = secretKinds.filter((kind) => secrets[kind]);
  // A generation only means something when there are secrets.
  const kept = kinds.length > 0 ? generation : undefined;
  const record: FileRecord = { schemaVersion: storeSchemaVersion, profile, secrets: kinds, ...(kept === undefined ? {} : { generation: kept }), updatedAt };
  return { entry: { profile, secrets, ...(kept === undefined ? {} : { generation: kept }), updatedAt }, text: `${JSON.stringify(record, null, 2)}\n` };
}

/** Whether a profile file name is one of the store's profiles (hidden and temporary files are not). */
export function isProfileFileName(name: string): boolean {
  return name.endsWith('.json') && !name.startsWith('.');
}

/** The file name of a profile. */
export function profileFileName(name: string): string {
  return `${name}.json`;
}
