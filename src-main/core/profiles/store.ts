/**
 * The durable profile store. One JSON file per profile under `<data dir>/profiles/`, each with a
 * schema version (older files are migrated when read, storeRecords.ts), written atomically; every
 * change is a read-modify-write under an inter-process lock, so the desktop app and the CLI editing
 * at once do not lose each other's changes. Secrets (token, client key, key passphrase) live only
 * in the OS keychain, in items of this store's own scope (storeSecrets.ts); a profile file records
 * which ones exist. A change of secrets or of several profiles is one transaction (storeJournal.ts):
 * a crash leaves the store as before or after it, and the next lock holder finishes it. A damaged
 * file is moved aside with a timestamp and reported, never silently dropped or replaced.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { KeychainStatus } from '../../../shared/ipc/contract.ts';
import { secretKinds, type SecretKind, type StoredProfile, type StoredProfileInput } from '../../../shared/model/storedProfile.ts';
import { parsePrivateKey } from '../certificates/pemCertificates.ts';
import { createOsKeychain, type Keychain } from '../secrets/keychain.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { checkCertificates } from './storeCertificates.ts';
import { notFound, ProfileFolder, type StoreListing } from './storeFolder.ts';
import { defaultDataDir, tempPrefix, withFileLock } from './storeFiles.ts';
import { prepareImport, validateSecretValues, type ProfileWithSecrets, type Secrets } from './storeInput.ts';
import type { StoredEntry } from './storeRecords.ts';
import { SecretAccess } from './storeSecretAccess.ts';
import { engineConfig } from './storeTunnelConfig.ts';
import { sameName, validateStoredProfile } from './validate.ts';

export { storeSchemaVersion, type StoredEntry } from './storeRecords.ts';
export type { StoreListing, StoreProblem } from './storeFolder.ts';
export type { ProfileWithSecrets, Secrets } from './storeInput.ts';

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

/** The profile store. Create with {@link ProfileStore.open}; call {@link dispose} when done. */
export class ProfileStore {
  /** The data folder. */
  readonly dir: string;
  /** The folder of the profile files. */
  readonly profilesDir: string;
  readonly #secrets: SecretAccess;
  readonly #lockFile: string;
  readonly #lockTimeoutMs: number;
  readonly #folder: ProfileFolder;
  #disposed = false;

  private constructor(dir: string, keychain: Keychain, lockTimeoutMs: number) {
    this.dir = dir;
    this.profilesDir = path.join(dir, 'profiles');
    this.#lockFile = path.join(this.profilesDir, '.lock');
    this.#lockTimeoutMs = lockTimeoutMs;
    this.#folder = new ProfileFolder(this.profilesDir, this.#lockFile, lockTimeoutMs);
    this.#secrets = new SecretAccess(this.profilesDir, keychain, (action) => this.#lockedUnchecked(action));
  }

  /**
   * Opens (creating if needed) the store in `options.dir` or the default data folder, and finishes
   * a change a crash interrupted (an import killed half-way is rolled back or forward) unless
   * another process holds the lock.
   * @throws AppError PROFILE_UNREADABLE when the folder cannot be created, PROFILE_STORE_CORRUPT
   *   when an interrupted change's journal is damaged.
   */
  static async open(options: StoreOptions = {}): Promise<ProfileStore> {
    const dir = path.resolve(options.dir ?? defaultDataDir());
    const store = new ProfileStore(dir, options.keychain ?? createOsKeychain(), options.lockTimeoutMs ?? 10_000);
    try {
      await mkdir(store.profilesDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new AppError('PROFILE_UNREADABLE', `The profile store folder ${store.profilesDir} cannot be created (${(error as NodeJS.ErrnoException).code ?? String(error)}); check its permissions or set PULSAR_TUNNEL_HOME.`, { cause: error });
    }
    await store.#repairIfInterrupted();
    return store;
  }

  /**
   * Finishes a change a crashed process left (see storeJournal.ts), unless another process holds
   * the lock: that one is in the middle of the change and finishes it itself.
   */
  async #repairIfInterrupted(): Promise<void> {
    if (!(await this.#secrets.interrupted())) return;
    await withFileLock(this.#lockFile, () => this.#secrets.recover(), { timeoutMs: 0 }).catch((error: unknown) => {
      if (!isAppError(error) || error.code !== 'PROFILE_STORE_BUSY') throw error;
    });
  }

  /** Releases the store. It keeps no open files or timers; later calls fail (a tunnel's token reader still works). */
  dispose(): void {
    this.#disposed = true;
  }

  #check(): void {
    if (this.#disposed) throw new AppError('TUNNEL_INTERNAL', 'The profile store was used after dispose().');
  }

  #locked<T>(action: () => Promise<T>): Promise<T> {
    this.#check();
    return this.#lockedUnchecked(action);
  }

  /** Holds the lock, first finishing a change a crashed process left (its files always; its keychain part when the keychain answers). */
  #lockedUnchecked<T>(action: () => Promise<T>): Promise<T> {
    return withFileLock(
      this.#lockFile,
      async () => {
        await this.#secrets.recover();
        return action();
      },
      { timeoutMs: this.#lockTimeoutMs },
    );
  }

  /**
   * Every profile, sorted by name, and the problems met (damaged files are moved aside with a
   * timestamp and listed here, so callers can show them). A change another process died in is
   * finished first.
   * @throws AppError PROFILE_UNREADABLE when the store folder cannot be read, PROFILE_STORE_CORRUPT
   *   (a damaged journal).
   */
  async list(): Promise<StoreListing> {
    this.#check();
    // Nothing in the folder changed since the last listing (a journal left by a crash would have
    // changed it): that listing still holds, and nothing is read.
    const remembered = this.#folder.remembered();
    if (remembered) return remembered;
    // A long-running process (the desktop app) sees the result of a change another process died in.
    await this.#repairIfInterrupted();
    const listing = await this.#folder.readAll();
    // A change still unfinished (its keychain part waits for the keychain, or another process is
    // in the middle of it): the next listing tries to finish it again rather than remember this one.
    if (await this.#secrets.interrupted()) this.#folder.forgetListing();
    return listing;
  }

  /**
   * One profile.
   * @throws AppError PROFILE_NOT_FOUND, PROFILE_STORE_CORRUPT (the file was moved aside), PROFILE_UNREADABLE.
   */
  async get(name: string): Promise<StoredEntry> {
    this.#check();
    return this.#folder.readOne(name);
  }

  /** Checks certificates and keys that change with this save; returns warnings. Call under the lock. */
  #checkCertificates(profile: StoredProfile, previous: StoredEntry | undefined, secrets: SaveOptions['secrets']): Promise<string[]> {
    return checkCertificates(profile, previous, secrets ?? {}, {
      clientKey: (entry) => this.#secrets.requireUnderLock(entry, 'clientKey'),
      keyPassphrase: (entry) => this.#secrets.readUnderLock(entry, 'keyPassphrase'),
    });
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
      const previous = previousName === undefined ? undefined : await this.#folder.existing(previousName);
      if (previousName !== undefined && (previous === undefined || previous.profile.name !== previousName)) throw notFound(previousName);
      if (previous === undefined || !sameName(previous.profile.name, profile.name)) {
        const clash = await this.#folder.existing(profile.name);
        if (clash) throw new AppError('PROFILE_EXISTS', `name: a profile named "${clash.profile.name}" already exists; choose another name or remove it first.`);
      }
      const warnings = await this.#checkCertificates(profile, previous, secrets);
      const entry = await this.#secrets.commitProfile(profile, previous, secrets);
      return { entry, warnings };
    });
  }

  /**
   * Copies a profile and its secrets under a new name; `options.listenPort` sets the copy's listen.port.
   * @throws AppError PROFILE_NOT_FOUND, PROFILE_EXISTS, PROFILE_INVALID (bad new name), KEYCHAIN_*.
   */
  async duplicate(name: string, newName: string, options: { listenPort?: number } = {}): Promise<StoredEntry> {
    const secrets = await this.secretsOf(name);
    const source = await this.get(name);
    const listen = options.listenPort === undefined ? source.profile.listen : { ...source.profile.listen, port: options.listenPort };
    const { entry } = await this.save({ ...source.profile, name: newName, autoStart: false, listen }, { secrets });
    return entry;
  }

  /**
   * Deletes a profile and its keychain items (only those its file names, in this store's scope).
   * @throws AppError PROFILE_NOT_FOUND, KEYCHAIN_LOCKED/UNAVAILABLE (then nothing is deleted).
   */
  async remove(name: string): Promise<void> {
    this.#check();
    await this.#locked(async () => {
      const entry = await this.#folder.existing(name);
      if (!entry || entry.profile.name !== name) throw notFound(name);
      await this.#secrets.removeProfile(entry);
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
      const entry = await this.#folder.existing(name);
      if (!entry || entry.profile.name !== name) throw notFound(name);
      if (typeof value === 'string' && kind === 'clientKey') await this.#checkCertificates(entry.profile, entry, { clientKey: value });
      if (typeof value === 'string' && kind === 'keyPassphrase' && entry.secrets.clientKey) {
        parsePrivateKey(await this.#secrets.requireUnderLock(entry, 'clientKey'), `the client private key of profile "${name}"`, value);
      }
      await this.#secrets.commitProfile(entry.profile, entry, { [kind]: value });
    });
  }

  /**
   * Adds several profiles at once, all or nothing: all are validated and checked first, then
   * written in one transaction (storeJournal.ts), so even a crash half-way leaves either all of
   * them stored or none (the next start of the store finishes or undoes it).
   * @param replace overwrite profiles that already exist (their old secrets are replaced).
   * @returns the names imported and warnings.
   * @throws AppError IMPORT_INVALID (naming the profile and field), PROFILE_EXISTS, CERTIFICATE_INVALID, KEYCHAIN_*.
   */
  async importProfiles(items: ProfileWithSecrets[], options: { replace?: boolean } = {}): Promise<{ imported: string[]; warnings: string[] }> {
    this.#check();
    const prepared = prepareImport(items);
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
      const replaced: StoredEntry[] = [];
      for (const item of prepared) {
        const existing = await this.#folder.existing(item.profile.name);
        if (!existing) continue;
        if (!options.replace || existing.profile.name !== item.profile.name) {
          throw new AppError('PROFILE_EXISTS', `A profile named "${existing.profile.name}" already exists; remove it first, import with --replace, or rename the imported one (--name).`);
        }
        replaced.push(existing);
      }
      await this.#secrets.commitImport(prepared, replaced);
      return { imported: prepared.map((item) => item.profile.name), warnings };
    });
  }

  /**
   * The secrets a profile has, read from the keychain (for an encrypted export).
   * @throws AppError PROFILE_NOT_FOUND, KEYCHAIN_ITEM_MISSING, KEYCHAIN_*.
   */
  async secretsOf(name: string): Promise<Secrets> {
    this.#check();
    const entry = await this.get(name);
    const secrets: Secrets = {};
    for (const kind of secretKinds) if (entry.secrets[kind]) secrets[kind] = await this.#secrets.require(name, kind);
    return secrets;
  }

  /**
   * The engine's configuration for a stored profile: certificates from the store, the client key
   * and its passphrase from the keychain now, the token from the keychain on every use.
   * @throws AppError PROFILE_NOT_FOUND, PROFILE_INVALID, KEYCHAIN_ITEM_MISSING (a secret the profile
   *   needs is not in the keychain), KEYCHAIN_LOCKED, KEYCHAIN_UNAVAILABLE.
   */
  async tunnelConfig(name: string): Promise<TunnelConfig> {
    return engineConfig(await this.get(name), this.#secrets);
  }

  /**
   * The engine's configuration for a profile that is not saved (a form's draft), for the Doctor:
   * validated as save() validates. The secrets given serve this one configuration and are never
   * written; a secret not given comes from the keychain items of `previousName` (the profile being
   * edited), read when the engine needs it.
   * @throws AppError PROFILE_INVALID (a field, or a token needed and neither typed nor stored),
   *   PROFILE_NOT_FOUND (previousName), KEYCHAIN_ITEM_MISSING, KEYCHAIN_LOCKED, KEYCHAIN_UNAVAILABLE.
   */
  async draftTunnelConfig(input: StoredProfileInput, options: { previousName?: string; secrets?: Secrets } = {}): Promise<TunnelConfig> {
    this.#check();
    const profile = validateStoredProfile(input);
    const typed = options.secrets ?? {};
    validateSecretValues(typed);
    const previous = options.previousName === undefined ? undefined : await this.get(options.previousName);
    const secrets = { token: false, clientKey: false, keyPassphrase: false };
    for (const kind of secretKinds) secrets[kind] = typed[kind] !== undefined || previous?.secrets[kind] === true;
    if (profile.auth === 'token' && !secrets.token) {
      throw new AppError('PROFILE_INVALID', 'token: type the token to test the connection (auth is token, and no token is stored for this profile)');
    }
    const access = {
      require: async (_name: string, kind: SecretKind): Promise<string> => typed[kind] ?? this.#secrets.require((previous as StoredEntry).profile.name, kind),
      checkKeychain: () => this.#secrets.checkKeychain(),
    };
    return engineConfig({ profile, secrets }, access);
  }

  /** Whether the OS keychain answers (the UI warns before a secret is typed that could not be stored). */
  async keychainStatus(): Promise<KeychainStatus> {
    try {
      await this.#secrets.checkKeychain();
      return { available: true };
    } catch (error) {
      if (isAppError(error) && (error.code === 'KEYCHAIN_UNAVAILABLE' || error.code === 'KEYCHAIN_LOCKED')) return { available: false, error: error.toJSON() };
      throw error;
    }
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

/**
 * Opens the store in the default data folder (PULSAR_TUNNEL_HOME or the per-user config folder)
 * with the OS keychain: what `pulsar-tunnel run --profile NAME` and the CLI use.
 * @throws AppError PROFILE_UNREADABLE when the folder cannot be created.
 */
export function openDefaultStore(): Promise<ProfileStore> {
  return ProfileStore.open();
}
