/**
 * The profile store's side of the keychain: reads a profile's secrets from the items its file
 * names in the store's scope (storeSecrets.ts), and commits changes of profiles together with their
 * secrets as transactions (storeJournal.ts). Methods named "UnderLock" and the commits must be
 * called holding the store lock; the others take it themselves when they need it.
 */
import { access, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { secretKinds, type SecretKind, type StoredProfile } from '../../../shared/model/storedProfile.ts';
import { checkKeychain, missingSecret, requireSecret, type Keychain, type KeychainItem } from '../secrets/keychain.ts';
import { syncDir, writeFileAtomic } from './storeFiles.ts';
import type { PreparedImport } from './storeInput.ts';
import { committedJournal, preparedJournal, recoverTransaction, runTransaction } from './storeJournal.ts';
import { adoptLegacyItems, prepareKeychainScope } from './storeKeychainScope.ts';
import { isProfileFileName, profileFileName, profileRecord, readProfileFile, type StoredEntry } from './storeRecords.ts';
import { newGeneration, profileItem, readIdentity } from './storeSecrets.ts';


type Locked = <T>(action: () => Promise<T>) => Promise<T>;

const noSecrets: Record<SecretKind, boolean> = { token: false, clientKey: false, keyPassphrase: false };

function listed(entry: StoredEntry | undefined): SecretKind[] {
  return entry ? secretKinds.filter((kind) => entry.secrets[kind]) : [];
}

/** A profile whose secrets are still in 0.1.0's shared items. */
function isLegacy(entry: StoredEntry): boolean {
  return entry.generation === undefined && listed(entry).length > 0;
}

/** A profile's secrets in the keychain; see the module comment. */
export class SecretAccess {
  readonly #profilesDir: string;
  readonly #keychain: Keychain;
  readonly #locked: Locked;
  /** The store id, once this process has checked the store's scope (storeKeychainScope.ts). */
  #storeId: string | undefined;

  constructor(profilesDir: string, keychain: Keychain, locked: Locked) {
    this.#profilesDir = profilesDir;
    this.#keychain = keychain;
    this.#locked = locked;
  }

  /** Whether a crash left a change unfinished. */
  async interrupted(): Promise<boolean> {
    for (const name of [preparedJournal, committedJournal]) {
      try {
        await access(path.join(this.#profilesDir, name));
        return true;
      } catch {
        // Not there.
      }
    }
    return false;
  }

  /** Finishes a change a crash left (under the lock); a keychain that does not answer leaves its part for later. */
  recover(): Promise<void> {
    return recoverTransaction(this.#profilesDir, this.#keychain, false);
  }

  async #entries(): Promise<StoredEntry[]> {
    const entries: StoredEntry[] = [];
    for (const name of (await readdir(this.#profilesDir)).filter(isProfileFileName)) {
      // Damaged and newer files are reported by list(); they have no items to look after here.
      const entry = await readProfileFile(this.#profilesDir, name).catch(() => undefined);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  /**
   * Under the lock: the store id (its scope checked once per process), and `entry` as its file is
   * now, with its items in the store's scope.
   */
  async #ready(entry?: StoredEntry): Promise<{ id: string; entry: StoredEntry | undefined }> {
    this.#storeId ??= await prepareKeychainScope(this.#profilesDir, this.#keychain, await this.#entries());
    const id = this.#storeId;
    if (entry === undefined) return { id, entry };
    const file = profileFileName(entry.profile.name);
    let current = await readProfileFile(this.#profilesDir, file);
    if (current && isLegacy(current)) {
      // Written by 0.1.0 since this process checked the scope.
      await adoptLegacyItems(this.#profilesDir, this.#keychain, id, [current]);
      current = await readProfileFile(this.#profilesDir, file);
    }
    return { id, entry: current };
  }

  /** Under the lock: one secret of a stored entry, or null when the keychain has no such item. */
  async readUnderLock(entry: StoredEntry, kind: SecretKind): Promise<string | null> {
    const ready = await this.#ready(entry);
    if (!ready.entry?.secrets[kind] || ready.entry.generation === undefined) return null;
    return this.#keychain.get(profileItem(ready.id, ready.entry.profile.name, kind, ready.entry.generation));
  }

  /** Under the lock: like {@link readUnderLock} for a secret that must be there (KEYCHAIN_ITEM_MISSING). */
  async requireUnderLock(entry: StoredEntry, kind: SecretKind): Promise<string> {
    const ready = await this.#ready(entry);
    if (ready.entry?.generation === undefined) throw missingSecret(profileItem(ready.id, entry.profile.name, kind, '-'));
    return requireSecret(this.#keychain, profileItem(ready.id, ready.entry.profile.name, kind, ready.entry.generation));
  }

  /**
   * One secret of a profile as its file names it now, or null (no such profile, secret or item).
   * Reads the file on every call, so a token changed meanwhile is picked up; works after the store
   * is disposed (a running tunnel reads its token on every connection).
   */
  async read(name: string, kind: SecretKind): Promise<{ value: string | null; item: KeychainItem }> {
    let item = profileItem('-', name, kind, '-');
    for (let attempt = 0; attempt < 3; attempt++) {
      const entry = await readProfileFile(this.#profilesDir, profileFileName(name)).catch(() => undefined);
      if (!entry?.secrets[kind]) return { value: null, item };
      const id = this.#storeId ?? (await readIdentity(this.#profilesDir))?.id;
      if (entry.generation === undefined || id === undefined) {
        // A 0.1.0 profile: copy its items into the store's scope first; never read the shared ones.
        await this.#locked(() => this.#ready(entry));
        continue;
      }
      item = profileItem(id, name, kind, entry.generation);
      const value = await this.#keychain.get(item);
      if (value !== null) return { value, item };
      // Missing: unless the profile moved on to new items in between, it is gone.
      if ((await readProfileFile(this.#profilesDir, profileFileName(name)).catch(() => undefined))?.generation === entry.generation) return { value: null, item };
    }
    return { value: null, item };
  }

  /**
   * Whether the keychain answers, so a secret the file does not list is reported as missing only
   * when it could have been stored.
   * @throws AppError KEYCHAIN_UNAVAILABLE, KEYCHAIN_LOCKED
   */
  checkKeychain(): Promise<void> {
    return checkKeychain(this.#keychain);
  }

  /**
   * A secret the profile needs.
   * @throws AppError KEYCHAIN_ITEM_MISSING naming the item, KEYCHAIN_*.
   */
  async require(name: string, kind: SecretKind): Promise<string> {
    const { value, item } = await this.read(name, kind);
    if (value === null) throw missingSecret(item);
    return value;
  }

  /**
   * Under the lock: writes a profile (new, edited or renamed from `previous`) with its secrets set
   * (string), deleted (null) or kept (absent). A change of secrets or a rename writes new items and
   * switches the file to them in one transaction; the old items go after.
   */
  async commitProfile(profile: StoredProfile, previous: StoredEntry | undefined, secrets: Partial<Record<SecretKind, string | null>>): Promise<StoredEntry> {
    const changed = secretKinds.filter((kind) => secrets[kind] !== undefined);
    const renamed = previous !== undefined && previous.profile.name !== profile.name;
    const flags = { ...(previous?.secrets ?? noSecrets) };
    for (const kind of changed) flags[kind] = typeof secrets[kind] === 'string';
    const file = profileFileName(profile.name);
    if (changed.length === 0 && !renamed) {
      const { entry, text } = profileRecord(profile, flags, previous?.generation);
      await writeFileAtomic(path.join(this.#profilesDir, file), text);
      return entry;
    }
    if (changed.length === 0 && listed(previous).length === 0) {
      const { entry, text } = profileRecord(profile, flags, undefined);
      await runTransaction(this.#profilesDir, this.#keychain, { create: [], write: [{ file, content: text }], remove: [profileFileName(previous!.profile.name)], drop: [] });
      return entry;
    }
    const { id, entry: old } = await this.#ready(previous);
    const { entry, text } = profileRecord(profile, flags, newGeneration());
    const create: { item: KeychainItem; value: string }[] = [];
    for (const kind of secretKinds) {
      const given = secrets[kind];
      let value = typeof given === 'string' ? given : undefined;
      if (given === undefined && old?.secrets[kind] && old.generation !== undefined) value = (await this.#keychain.get(profileItem(id, old.profile.name, kind, old.generation))) ?? undefined;
      if (value !== undefined && entry.generation !== undefined) create.push({ item: profileItem(id, profile.name, kind, entry.generation), value });
    }
    await runTransaction(this.#profilesDir, this.#keychain, { create, write: [{ file, content: text }], remove: renamed ? [profileFileName(old!.profile.name)] : [], drop: this.#itemsOf(id, old) });
    return entry;
  }

  #itemsOf(id: string, entry: StoredEntry | undefined): KeychainItem[] {
    if (entry?.generation === undefined) return [];
    return listed(entry).map((kind) => profileItem(id, entry.profile.name, kind, entry.generation!));
  }

  /** Under the lock: removes a profile's file and (after) the items it names. */
  async removeProfile(entry: StoredEntry): Promise<void> {
    const file = profileFileName(entry.profile.name);
    if (listed(entry).length === 0) {
      await rm(path.join(this.#profilesDir, file), { force: true });
      await syncDir(this.#profilesDir);
      return;
    }
    const { id, entry: current } = await this.#ready(entry);
    await runTransaction(this.#profilesDir, this.#keychain, { create: [], write: [], remove: [file], drop: this.#itemsOf(id, current) });
  }

  /** Under the lock: stores imported profiles, replacing `replaced`, in one transaction. */
  async commitImport(items: PreparedImport[], replaced: StoredEntry[]): Promise<void> {
    const needsKeychain = items.some((item) => secretKinds.some((kind) => item.secrets[kind] !== undefined)) || replaced.some((entry) => listed(entry).length > 0);
    const id = needsKeychain ? (await this.#ready()).id : '';
    const create: { item: KeychainItem; value: string }[] = [];
    const write: { file: string; content: string }[] = [];
    for (const item of items) {
      const flags = Object.fromEntries(secretKinds.map((kind) => [kind, item.secrets[kind] !== undefined])) as Record<SecretKind, boolean>;
      const { entry, text } = profileRecord(item.profile, flags, newGeneration());
      for (const kind of secretKinds) {
        const value = item.secrets[kind];
        if (value !== undefined && entry.generation !== undefined) create.push({ item: profileItem(id, item.profile.name, kind, entry.generation), value });
      }
      write.push({ file: profileFileName(item.profile.name), content: text });
    }
    // Read the replaced profiles again: preparing the scope may have moved 0.1.0 ones to new items.
    const drop: KeychainItem[] = [];
    for (const old of replaced) drop.push(...this.#itemsOf(id, await readProfileFile(this.#profilesDir, profileFileName(old.profile.name))));
    await runTransaction(this.#profilesDir, this.#keychain, { create, write, remove: [], drop });
  }
}
