/**
 * The durable profile store. One JSON file per profile under `<data dir>/profiles/`, each with a
 * schema version (older files are migrated when read), written atomically; every change is a
 * read-modify-write under an inter-process lock, so the desktop app and the CLI editing at once do
 * not lose each other's changes. Secrets (token, client key, key passphrase) live only in the OS
 * keychain; a profile file records which ones exist. A damaged file is moved aside with a
 * timestamp and reported, never silently dropped or replaced.
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { ProfileView } from '../../../shared/ipc/contract.ts';
import type { CertificateSummary } from '../../../shared/model/certificate.ts';
import { parseServiceUrl, type HostPort } from '../../../shared/model/profile.ts';
import { secretKinds, type SecretKind, type StoredProfile, type StoredProfileInput } from '../../../shared/model/storedProfile.ts';
import { checkClientCredentials, checkTrustCertificates, parsePrivateKey, summarizePem } from '../certificates/certificates.ts';
import { createOsKeychain, describeKind, requireSecret, type Keychain } from '../secrets/keychain.ts';
import type { AuthConfig, TunnelConfig } from '../tunnel/config.ts';
import { defaultDataDir, tempPrefix, withFileLock, writeFileAtomic } from './storeFiles.ts';
import { sameName, validateStoredProfile } from './validate.ts';

/** The current version of a profile file in the store. */
export const storeSchemaVersion = 1;

/** The secrets a profile has, by kind. Values only ever travel between the keychain and the engine. */
export type Secrets = Partial<Record<SecretKind, string>>;

/** One stored profile with the references to its secrets. */
export interface StoredEntry {
  profile: StoredProfile;
  /** Which secrets the keychain holds for this profile. */
  secrets: Record<SecretKind, boolean>;
  updatedAt: string;
}

/** A problem found while loading the store: the file, what is wrong, and where it was moved. */
export interface StoreProblem {
  file: string;
  message: string;
  movedTo?: string;
}

/** What {@link ProfileStore.list} returns. */
export interface StoreListing {
  profiles: StoredEntry[];
  problems: StoreProblem[];
}

/** A profile with its secrets, as an import brings it in. */
export interface ProfileWithSecrets {
  profile: StoredProfileInput;
  secrets: Secrets;
  /** Where it came from, for messages (e.g. `client.conf`). */
  source?: string;
}

/** Options of {@link ProfileStore.save}. */
export interface SaveOptions {
  /** The name the profile had: absent creates a new profile (an existing name is refused), set edits (and renames) that profile. */
  previousName?: string;
  /** Secrets to set (a string) or delete (null) together with the profile. */
  secrets?: Partial<Record<SecretKind, string | null>>;
}

/** Options of {@link ProfileStore.open}. */
export interface StoreOptions {
  /** The data folder; default {@link defaultDataDir}. */
  dir?: string;
  /** The keychain; default the OS keychain. */
  keychain?: Keychain;
  /** How long to wait for another process's lock. Default 10 s. */
  lockTimeoutMs?: number;
}

interface FileRecord {
  schemaVersion: number;
  profile: unknown;
  secrets: SecretKind[];
  updatedAt: string;
}

/**
 * Migrations, keyed by the version they upgrade from; each returns the next version's record.
 * Version 0 is a bare profile object without the envelope, with boolean `hasToken`/`hasClientKey`
 * flags. No released build wrote it: it keeps the migration chain real and tested until the first
 * real schema change adds version 2 here.
 */
const migrations: Record<number, (record: Record<string, unknown>) => Record<string, unknown>> = {
  0: (bare) => {
    const { hasToken, hasClientKey, ...profile } = bare;
    const secrets: SecretKind[] = [];
    if (hasToken === true) secrets.push('token');
    if (hasClientKey === true) secrets.push('clientKey');
    return { schemaVersion: 1, profile, secrets, updatedAt: new Date(0).toISOString() };
  },
};

/** Thrown inside the store for a file that cannot be used; the caller moves it aside. */
class DamagedFile extends Error {}

/** A file written by a newer version of the app: reported and left alone. */
class NewerFile extends Error {}

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
  return { schemaVersion: version, profile: record.profile, secrets, updatedAt: typeof record.updatedAt === 'string' ? record.updatedAt : new Date(0).toISOString() };
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
  return { profile, secrets, updatedAt: record.updatedAt };
}

function hostPort(value: string, schemes: string[], field: string): HostPort {
  const parsed = parseServiceUrl(value, schemes);
  if (typeof parsed === 'string') throw new AppError('PROFILE_INVALID', `${field}: ${parsed}`);
  return parsed;
}

function notFound(name: string): AppError {
  return new AppError('PROFILE_NOT_FOUND', `No profile is named "${name}"; \`pulsar-tunnel profiles list\` shows the ones that exist.`);
}

/** The profile store. Create with {@link ProfileStore.open}; call {@link dispose} when done. */
export class ProfileStore {
  /** The data folder. */
  readonly dir: string;
  /** The folder of the profile files. */
  readonly profilesDir: string;
  readonly #keychain: Keychain;
  readonly #lockFile: string;
  readonly #lockTimeoutMs: number;
  #disposed = false;

  private constructor(dir: string, keychain: Keychain, lockTimeoutMs: number) {
    this.dir = dir;
    this.profilesDir = path.join(dir, 'profiles');
    this.#keychain = keychain;
    this.#lockFile = path.join(this.profilesDir, '.lock');
    this.#lockTimeoutMs = lockTimeoutMs;
  }

  /**
   * Opens (creating if needed) the store in `options.dir` or the default data folder.
   * @throws AppError PROFILE_UNREADABLE when the folder cannot be created.
   */
  static async open(options: StoreOptions = {}): Promise<ProfileStore> {
    const dir = path.resolve(options.dir ?? defaultDataDir());
    const store = new ProfileStore(dir, options.keychain ?? createOsKeychain(), options.lockTimeoutMs ?? 10_000);
    try {
      await mkdir(store.profilesDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new AppError('PROFILE_UNREADABLE', `The profile store folder ${store.profilesDir} cannot be created (${(error as NodeJS.ErrnoException).code ?? String(error)}); check its permissions or set PULSAR_TUNNEL_HOME.`, { cause: error });
    }
    return store;
  }

  /** The keychain the store keeps secrets in. */
  get keychain(): Keychain {
    return this.#keychain;
  }

  /** Releases the store. It keeps no open files or timers; later calls fail. */
  dispose(): void {
    this.#disposed = true;
  }

  #check(): void {
    if (this.#disposed) throw new AppError('TUNNEL_INTERNAL', 'The profile store was used after dispose().');
  }

  #file(name: string): string {
    return path.join(this.profilesDir, `${name}.json`);
  }

  #locked<T>(action: () => Promise<T>): Promise<T> {
    this.#check();
    return withFileLock(this.#lockFile, action, { timeoutMs: this.#lockTimeoutMs });
  }

  async #fileNames(): Promise<string[]> {
    try {
      const names = await readdir(this.profilesDir);
      return names.filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
    } catch (error) {
      throw new AppError('PROFILE_UNREADABLE', `The profile store folder ${this.profilesDir} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, { cause: error });
    }
  }

  /** Reads one file: the entry, undefined when it does not exist, or a DamagedFile/NewerFile error. */
  async #readFile(fileName: string): Promise<StoredEntry | undefined> {
    let text: string;
    try {
      text = await readFile(path.join(this.profilesDir, fileName), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AppError('PROFILE_UNREADABLE', `The stored profile ${path.join(this.profilesDir, fileName)} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); check its permissions.`, { cause: error });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new DamagedFile(`it is not valid JSON (${(error as Error).message})`);
    }
    return toEntry(migrate(raw), fileName);
  }

  /** Moves a damaged file aside (under the lock, re-checking it is still damaged) and describes it. */
  async #moveAside(fileName: string, reason: string): Promise<StoreProblem> {
    const file = path.join(this.profilesDir, fileName);
    return withFileLock(
      this.#lockFile,
      async () => {
        try {
          await this.#readFile(fileName);
          return undefined;
        } catch (error) {
          if (!(error instanceof DamagedFile)) throw error;
        }
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        const movedTo = `${file}.corrupt-${stamp}`;
        await rename(file, movedTo);
        return { file, message: `The stored profile ${file} is damaged (${reason}); it was moved to ${movedTo}. Import or create the profile again.`, movedTo };
      },
      { timeoutMs: this.#lockTimeoutMs },
    ).then((problem) => problem ?? { file, message: `The stored profile ${file} changed while being checked; list again.` });
  }

  /** Reads every profile in a folder snapshot; damaged files are moved aside and reported. */
  async #load(): Promise<StoreListing> {
    const profiles: StoredEntry[] = [];
    const problems: StoreProblem[] = [];
    for (const fileName of await this.#fileNames()) {
      try {
        const entry = await this.#readFile(fileName);
        if (entry) profiles.push(entry);
      } catch (error) {
        if (error instanceof DamagedFile) problems.push(await this.#moveAside(fileName, error.message));
        else if (error instanceof NewerFile) problems.push({ file: path.join(this.profilesDir, fileName), message: `The stored profile ${path.join(this.profilesDir, fileName)} was skipped: ${error.message}.` });
        else if (isAppError(error)) problems.push({ file: path.join(this.profilesDir, fileName), message: error.message });
        else throw error;
      }
    }
    return { profiles, problems };
  }

  /**
   * Every profile, sorted by name, and the problems met (damaged files are moved aside with a
   * timestamp and listed here, so callers can show them).
   * @throws AppError PROFILE_UNREADABLE when the store folder cannot be read.
   */
  async list(): Promise<StoreListing> {
    this.#check();
    return this.#load();
  }

  /**
   * One profile.
   * @throws AppError PROFILE_NOT_FOUND, PROFILE_STORE_CORRUPT (the file was moved aside), PROFILE_UNREADABLE.
   */
  async get(name: string): Promise<StoredEntry> {
    this.#check();
    const fileName = `${name}.json`;
    // Only the exact file name: on a case-insensitive file system "Prod.json" would open "prod.json".
    if (!(await this.#fileNames()).includes(fileName)) throw notFound(name);
    try {
      const entry = await this.#readFile(fileName);
      if (!entry) throw notFound(name);
      return entry;
    } catch (error) {
      if (error instanceof DamagedFile) {
        const problem = await this.#moveAside(fileName, error.message);
        throw new AppError('PROFILE_STORE_CORRUPT', problem.message);
      }
      if (error instanceof NewerFile) throw new AppError('PROFILE_STORE_CORRUPT', `The stored profile "${name}" cannot be used: ${error.message}.`);
      throw error;
    }
  }

  /** The profile as the UI shows it (certificates summarized), without the tunnel status. */
  async describe(name: string): Promise<Omit<ProfileView, 'tunnel'>> {
    return describeEntry(await this.get(name));
  }

  /** Checks certificates and keys that change with this save; returns warnings. */
  async #checkCertificates(profile: StoredProfile, previous: StoredEntry | undefined, secrets: SaveOptions['secrets']): Promise<string[]> {
    const warnings: string[] = [];
    const trustChanged = profile.tlsTrustCertsPem !== previous?.profile.tlsTrustCertsPem;
    if (profile.tlsTrustCertsPem !== undefined && trustChanged) warnings.push(...checkTrustCertificates(profile.tlsTrustCertsPem, 'tlsTrustCertsPem'));
    const certChanged = profile.tlsCertificatePem !== previous?.profile.tlsCertificatePem;
    const keyGiven = typeof secrets?.clientKey === 'string';
    if (profile.tlsCertificatePem !== undefined && (certChanged || keyGiven || trustChanged)) {
      let keyPem = keyGiven ? (secrets?.clientKey as string) : undefined;
      let passphrase = typeof secrets?.keyPassphrase === 'string' ? secrets.keyPassphrase : undefined;
      if (keyPem === undefined && previous?.secrets.clientKey && secrets?.clientKey !== null) {
        keyPem = await requireSecret(this.#keychain, previous.profile.name, 'clientKey');
      }
      if (keyPem !== undefined && passphrase === undefined && previous?.secrets.keyPassphrase && secrets?.keyPassphrase !== null) {
        passphrase = (await this.#keychain.get(previous.profile.name, 'keyPassphrase')) ?? undefined;
      }
      const checked = checkClientCredentials({ certPem: profile.tlsCertificatePem, keyPem, keyPassphrase: passphrase, caPem: profile.tlsTrustCertsPem });
      warnings.push(...checked.warnings);
    } else if (keyGiven && profile.tlsCertificatePem === undefined) {
      throw new AppError('PROFILE_INVALID', 'tlsCertificatePem: is required when a client private key is given');
    }
    return warnings;
  }

  async #writeRecord(profile: StoredProfile, secrets: Record<SecretKind, boolean>): Promise<StoredEntry> {
    const updatedAt = new Date().toISOString();
    const record: FileRecord = { schemaVersion: storeSchemaVersion, profile, secrets: secretKinds.filter((kind) => secrets[kind]), updatedAt };
    await writeFileAtomic(this.#file(profile.name), `${JSON.stringify(record, null, 2)}\n`);
    return { profile, secrets, updatedAt };
  }

  /** The existing profile whose name equals `name` ignoring case, read under the lock. */
  async #existing(name: string): Promise<StoredEntry | undefined> {
    for (const fileName of await this.#fileNames()) {
      if (!sameName(fileName.slice(0, -5), name)) continue;
      try {
        const entry = await this.#readFile(fileName);
        if (entry) return entry;
      } catch (error) {
        if (error instanceof DamagedFile || error instanceof NewerFile) {
          throw new AppError('PROFILE_EXISTS', `A stored profile file ${path.join(this.profilesDir, fileName)} already uses the name "${name}" (${error.message}); remove it or choose another name.`);
        }
        throw error;
      }
    }
    return undefined;
  }

  /**
   * Creates or edits a profile, validating it (messages name the field) and checking its
   * certificates, together with the secrets given.
   * @returns the stored entry and warnings (e.g. a certificate that expires within 14 days).
   * @throws AppError PROFILE_INVALID, PROFILE_EXISTS (a new name already taken),
   *   PROFILE_NOT_FOUND (previousName gone), CERTIFICATE_INVALID, KEYCHAIN_*; nothing changes then.
   */
  async save(input: StoredProfileInput, options: SaveOptions = {}): Promise<{ entry: StoredEntry; warnings: string[] }> {
    this.#check();
    const profile = validateStoredProfile(input);
    const secrets = options.secrets ?? {};
    for (const kind of Object.keys(secrets)) {
      if (!(secretKinds as readonly string[]).includes(kind)) throw new AppError('PROFILE_INVALID', `secrets: unknown secret kind "${kind}"`);
    }
    validateSecretValues(secrets);
    return this.#locked(async () => {
      const previousName = options.previousName;
      const previous = previousName === undefined ? undefined : await this.#existing(previousName);
      if (previousName !== undefined && (previous === undefined || previous.profile.name !== previousName)) throw notFound(previousName);
      if (previous === undefined || !sameName(previous.profile.name, profile.name)) {
        const clash = await this.#existing(profile.name);
        if (clash) throw new AppError('PROFILE_EXISTS', `name: a profile named "${clash.profile.name}" already exists; choose another name or remove it first.`);
      }
      const warnings = await this.#checkCertificates(profile, previous, secrets);
      const flags = { ...(previous?.secrets ?? { token: false, clientKey: false, keyPassphrase: false }) };
      const renamed = previous !== undefined && previous.profile.name !== profile.name;
      if (renamed) {
        // Copy the secrets to the new accounts before the old ones go.
        for (const kind of secretKinds) {
          if (!flags[kind] || kind in secrets) continue;
          await this.#keychain.set(profile.name, kind, await requireSecret(this.#keychain, previous.profile.name, kind));
        }
      }
      for (const kind of secretKinds) {
        const value = secrets[kind];
        if (typeof value === 'string') {
          await this.#keychain.set(profile.name, kind, value);
          flags[kind] = true;
        } else if (value === null) {
          await this.#keychain.delete(profile.name, kind);
          flags[kind] = false;
        }
      }
      let oldFile = renamed ? this.#file(previous.profile.name) : undefined;
      if (oldFile !== undefined && sameName(previous!.profile.name, profile.name)) {
        // A change of case only: on a case-insensitive file system both names are one file, so
        // move the old one out of the way before writing the new one.
        const aside = path.join(this.profilesDir, `${tempPrefix}rename-${process.pid}-${Date.now()}`);
        await rename(oldFile, aside);
        oldFile = aside;
      }
      const entry = await this.#writeRecord(profile, flags);
      if (renamed) {
        if (oldFile !== undefined) await rm(oldFile, { force: true });
        for (const kind of secretKinds) if (previous.secrets[kind]) await this.#keychain.delete(previous.profile.name, kind).catch(() => false);
      }
      return { entry, warnings };
    });
  }

  /**
   * Copies a profile and its secrets under a new name.
   * @throws AppError PROFILE_NOT_FOUND, PROFILE_EXISTS, PROFILE_INVALID (bad new name), KEYCHAIN_*.
   */
  async duplicate(name: string, newName: string): Promise<StoredEntry> {
    const source = await this.get(name);
    const secrets: Secrets = {};
    for (const kind of secretKinds) if (source.secrets[kind]) secrets[kind] = await requireSecret(this.#keychain, name, kind);
    const { entry } = await this.save({ ...source.profile, name: newName, autoStart: false }, { secrets });
    return entry;
  }

  /**
   * Deletes a profile and its keychain items.
   * @throws AppError PROFILE_NOT_FOUND, KEYCHAIN_LOCKED/UNAVAILABLE (then nothing is deleted).
   */
  async remove(name: string): Promise<void> {
    this.#check();
    await this.#locked(async () => {
      const entry = await this.#existing(name);
      if (!entry || entry.profile.name !== name) throw notFound(name);
      for (const kind of secretKinds) {
        if (entry.secrets[kind]) await this.#keychain.delete(name, kind);
        // Items the file does not list (left by an interrupted save) go too, best effort.
        else await this.#keychain.delete(name, kind).catch(() => false);
      }
      await rm(this.#file(name), { force: true });
    });
  }

  /**
   * Sets (a string) or deletes (null) one secret of a profile.
   * @throws AppError PROFILE_NOT_FOUND, PROFILE_INVALID (empty value), CERTIFICATE_INVALID (a key that
   *   does not match the certificate), KEYCHAIN_*.
   */
  async setSecret(name: string, kind: SecretKind, value: string | null): Promise<void> {
    this.#check();
    if (!(secretKinds as readonly string[]).includes(kind)) throw new AppError('PROFILE_INVALID', `secrets: unknown secret kind "${kind}"`);
    validateSecretValues({ [kind]: value });
    // Read, check and write under the lock, so an edit of the profile by another process in
    // between is not overwritten with the version read before.
    await this.#locked(async () => {
      const entry = await this.#existing(name);
      if (!entry || entry.profile.name !== name) throw notFound(name);
      if (typeof value === 'string' && kind === 'clientKey') await this.#checkCertificates(entry.profile, entry, { clientKey: value });
      if (typeof value === 'string' && kind === 'keyPassphrase' && entry.secrets.clientKey) {
        parsePrivateKey(await requireSecret(this.#keychain, name, 'clientKey'), `the client private key of profile "${name}"`, value);
      }
      if (value === null) await this.#keychain.delete(name, kind);
      else await this.#keychain.set(name, kind, value);
      await this.#writeRecord(entry.profile, { ...entry.secrets, [kind]: value !== null });
    });
  }

  /**
   * Adds several profiles at once: all are validated and checked first, and either all are stored
   * or none (a failure while writing removes what was written).
   * @param replace overwrite profiles that already exist (their old secrets are replaced).
   * @returns the names imported and warnings.
   * @throws AppError IMPORT_INVALID (naming the profile and field), PROFILE_EXISTS, CERTIFICATE_INVALID, KEYCHAIN_*.
   */
  async importProfiles(items: ProfileWithSecrets[], options: { replace?: boolean } = {}): Promise<{ imported: string[]; warnings: string[] }> {
    this.#check();
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
    const warnings: string[] = [];
    for (const item of prepared) {
      try {
        warnings.push(...(await this.#checkCertificates(item.profile, undefined, item.secrets)).map((warning) => `${item.where}: ${warning}`));
      } catch (error) {
        if (isAppError(error)) throw new AppError(error.code, `${item.where}: ${error.message}`, { cause: error });
        throw error;
      }
    }
    return this.#locked(async () => {
      const previous = new Map<string, StoredEntry>();
      for (const item of prepared) {
        const existing = await this.#existing(item.profile.name);
        if (!existing) continue;
        if (!options.replace || existing.profile.name !== item.profile.name) {
          throw new AppError('PROFILE_EXISTS', `A profile named "${existing.profile.name}" already exists; remove it first, import with --replace, or rename the imported one (--name).`);
        }
        previous.set(existing.profile.name, existing);
      }
      // Keep the old secrets of replaced profiles so a failure can put everything back.
      const oldSecrets = new Map<string, Secrets>();
      for (const [name, entry] of previous) {
        const values: Secrets = {};
        for (const kind of secretKinds) if (entry.secrets[kind]) values[kind] = (await this.#keychain.get(name, kind)) ?? undefined;
        oldSecrets.set(name, values);
      }
      const done: StoredProfile[] = [];
      try {
        for (const item of prepared) {
          const flags = { token: false, clientKey: false, keyPassphrase: false };
          for (const kind of secretKinds) {
            const value = item.secrets[kind];
            if (value !== undefined) {
              await this.#keychain.set(item.profile.name, kind, value);
              flags[kind] = true;
            } else if (previous.get(item.profile.name)?.secrets[kind]) {
              await this.#keychain.delete(item.profile.name, kind);
            }
          }
          done.push(item.profile);
          await this.#writeRecord(item.profile, flags);
        }
      } catch (error) {
        for (const profile of done) {
          const old = previous.get(profile.name);
          const values = oldSecrets.get(profile.name) ?? {};
          for (const kind of secretKinds) {
            const value = values[kind];
            if (value !== undefined) await this.#keychain.set(profile.name, kind, value).catch(() => undefined);
            else await this.#keychain.delete(profile.name, kind).catch(() => false);
          }
          if (old) await this.#writeRecord(old.profile, old.secrets).catch(() => undefined);
          else await rm(this.#file(profile.name), { force: true });
        }
        throw error;
      }
      return { imported: prepared.map((item) => item.profile.name), warnings };
    });
  }

  /**
   * The secrets a profile has, read from the keychain (for an encrypted export).
   * @throws AppError PROFILE_NOT_FOUND, KEYCHAIN_ITEM_MISSING, KEYCHAIN_*.
   */
  async secretsOf(name: string): Promise<Secrets> {
    const entry = await this.get(name);
    const secrets: Secrets = {};
    for (const kind of secretKinds) if (entry.secrets[kind]) secrets[kind] = await requireSecret(this.#keychain, name, kind);
    return secrets;
  }

  /**
   * The engine's configuration for a stored profile: certificates from the store, the client key
   * and its passphrase from the keychain now, the token from the keychain on every use.
   * @throws AppError PROFILE_NOT_FOUND, PROFILE_INVALID, KEYCHAIN_ITEM_MISSING (a secret the profile
   *   needs is not in the keychain), KEYCHAIN_LOCKED, KEYCHAIN_UNAVAILABLE.
   */
  async tunnelConfig(name: string): Promise<TunnelConfig> {
    const { profile, secrets } = await this.get(name);
    const keychain = this.#keychain;
    let keyPem: string | undefined;
    let keyPassphrase: string | undefined;
    if (profile.tlsCertificatePem !== undefined) {
      if (!secrets.clientKey) {
        throw new AppError('KEYCHAIN_ITEM_MISSING', `Profile "${name}" has a client certificate but its ${describeKind('clientKey')} is not in the OS keychain; import the key again.`);
      }
      keyPem = await requireSecret(keychain, name, 'clientKey');
      if (secrets.keyPassphrase) keyPassphrase = await requireSecret(keychain, name, 'keyPassphrase');
    }
    let auth: AuthConfig = { kind: 'none' };
    if (profile.auth === 'token') {
      if (!secrets.token) throw new AppError('KEYCHAIN_ITEM_MISSING', `Profile "${name}" uses token authentication but has no token in the OS keychain; set it (import the profile again or enter it in the app).`);
      // Fail now, before any listener opens, if the token is already gone or the keychain locked.
      await requireSecret(keychain, name, 'token');
      auth = { kind: 'token', getToken: () => requireSecret(keychain, name, 'token') };
    } else if (profile.auth === 'tls') {
      auth = { kind: 'tls' };
    }
    return {
      name: profile.name,
      service: hostPort(profile.serviceUrl, ['pulsar+ssl:'], 'serviceUrl'),
      proxy: profile.proxyServiceUrl === undefined ? undefined : hostPort(profile.proxyServiceUrl, ['pulsar+ssl:'], 'proxyServiceUrl'),
      web: profile.webServiceUrl === undefined ? undefined : hostPort(profile.webServiceUrl, ['https:'], 'webServiceUrl'),
      listen: { host: profile.listen.host ?? '127.0.0.1', port: profile.listen.port ?? 6650, ...(profile.listen.webPort === undefined ? {} : { webPort: profile.listen.webPort }) },
      tls: {
        caPem: profile.tlsTrustCertsPem,
        certPem: profile.tlsCertificatePem,
        keyPem,
        keyPassphrase,
        verifyHostname: profile.tlsHostnameVerificationEnable,
        allowInsecure: profile.tlsAllowInsecureConnection,
      },
      auth,
      pulsarProtocol: profile.pulsarProtocol,
      keepAliveIntervalSeconds: profile.keepAliveIntervalSeconds,
      connectionTimeoutMs: profile.connectionTimeoutMs,
    };
  }

  /** Removes temporary files left by a process that crashed mid-write (they are never read). */
  async cleanTemporaryFiles(): Promise<number> {
    return this.#locked(async () => {
      const names = (await readdir(this.profilesDir)).filter((name) => name.startsWith(tempPrefix));
      await Promise.all(names.map((name) => rm(path.join(this.profilesDir, name), { force: true })));
      return names.length;
    });
  }
}

/** Checks secret values before they reach the keychain. */
function validateSecretValues(secrets: Partial<Record<SecretKind, string | null>>): void {
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

/**
 * Opens the store in the default data folder (PULSAR_TUNNEL_HOME or the per-user config folder)
 * with the OS keychain: what `pulsar-tunnel run --profile NAME` and the CLI use.
 * @throws AppError PROFILE_UNREADABLE when the folder cannot be created.
 */
export function openDefaultStore(): Promise<ProfileStore> {
  return ProfileStore.open();
}
