/**
 * Gives a store its own keychain scope (storeSecrets.ts) and keeps it its own:
 * - a store without an id gets one;
 * - a folder that is a copy of another store on this machine (same id, and the keychain says the
 *   id belongs to a folder that still holds it) becomes a store of its own: its items are copied to
 *   a new id, so the two never change or delete each other's secrets;
 * - profiles written by 0.1.0 (items `<profile>/<kind>`, shared by every store on the machine) get
 *   their items copied into the store's scope. The old items are left alone: another 0.1.0 store
 *   may still use them.
 * Every step is a transaction (storeJournal.ts): a crash leaves the store as before or after it.
 */
import { realpath } from 'node:fs/promises';
import { secretKinds } from '../../../shared/model/storedProfile.ts';
import type { Keychain, KeychainItem } from '../secrets/keychain.ts';
import { runTransaction } from './storeJournal.ts';
import { profileFileName, profileRecord, type StoredEntry } from './storeRecords.ts';
import { claimItem, identityFileName, identityText, legacyItem, newGeneration, newStoreId, profileItem, readIdentity, type StoreIdentity } from './storeSecrets.ts';

/** Copies the items `entries` name from one scope (or 0.1.0's names) to new items; missing ones are skipped. */
async function copies(keychain: Keychain, entries: StoredEntry[], source: (entry: StoredEntry, kind: (typeof secretKinds)[number]) => KeychainItem, target: (entry: StoredEntry, kind: (typeof secretKinds)[number]) => KeychainItem) {
  const create: { item: KeychainItem; value: string }[] = [];
  for (const entry of entries) {
    for (const kind of secretKinds) {
      if (!entry.secrets[kind]) continue;
      const value = await keychain.get(source(entry, kind));
      // A secret the file lists but the keychain lost stays listed: using it reports KEYCHAIN_ITEM_MISSING.
      if (value !== null) create.push({ item: target(entry, kind), value });
    }
  }
  return create;
}

/** Is the folder `other` (a profiles folder the keychain names) still a store with this id? Unknown counts as yes. */
async function holdsId(other: string, id: string): Promise<boolean> {
  try {
    return (await readIdentity(other))?.id === id;
  } catch (error) {
    // The folder is gone: the store was moved. Damaged or unreadable: assume a copy (copying is safe).
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * Copies the items of 0.1.0 profiles (no generation) into the store's scope and points their files
 * at the copies (call holding the store lock).
 */
export async function adoptLegacyItems(profilesDir: string, keychain: Keychain, storeId: string, entries: StoredEntry[]): Promise<void> {
  const legacy = entries.filter((entry) => entry.generation === undefined && secretKinds.some((kind) => entry.secrets[kind])).map((entry) => ({ ...entry, generation: newGeneration() }));
  if (legacy.length === 0) return;
  const create = await copies(keychain, legacy, (entry, kind) => legacyItem(entry.profile.name, kind), (entry, kind) => profileItem(storeId, entry.profile.name, kind, entry.generation!));
  const write = legacy.map((entry) => ({ file: profileFileName(entry.profile.name), content: profileRecord(entry.profile, entry.secrets, entry.generation).text }));
  await runTransaction(profilesDir, keychain, { create, write, remove: [], drop: [] });
}

/**
 * Makes the store ready to use its keychain items (call holding the store lock) and returns its id.
 * @param entries the store's profiles, read under the lock.
 * @throws AppError KEYCHAIN_* (nothing changed then), PROFILE_STORE_CORRUPT (a damaged identity file).
 */
export async function prepareKeychainScope(profilesDir: string, keychain: Keychain, entries: StoredEntry[]): Promise<string> {
  const here = await realpath(profilesDir);
  let identity = await readIdentity(profilesDir);
  let claimed: string | null;
  if (identity === undefined) {
    identity = { id: newStoreId(), createdAt: new Date().toISOString() };
    // Reach the keychain before writing anything, so a missing or locked one changes no file.
    claimed = await keychain.get(claimItem(identity.id));
    await runTransaction(profilesDir, keychain, { create: [], write: [{ file: identityFileName, content: identityText(identity) }], remove: [], drop: [] });
  } else {
    claimed = await keychain.get(claimItem(identity.id));
    if (claimed !== null && claimed !== here && (await holdsId(claimed, identity.id))) {
      // This folder is a copy of a store that still exists: become a store of its own.
      const from = identity.id;
      const copy: StoreIdentity = { id: newStoreId(), createdAt: new Date().toISOString(), copiedFrom: from };
      const scoped = entries.filter((entry) => entry.generation !== undefined);
      const create = await copies(keychain, scoped, (entry, kind) => profileItem(from, entry.profile.name, kind, entry.generation!), (entry, kind) => profileItem(copy.id, entry.profile.name, kind, entry.generation!));
      await runTransaction(profilesDir, keychain, { create, write: [{ file: identityFileName, content: identityText(copy) }], remove: [], drop: [] });
      identity = copy;
    }
  }
  // New, moved (the folder the keychain named no longer holds this id), or copied: claim the id here.
  if (claimed !== here) await keychain.set(claimItem(identity.id), here);
  await adoptLegacyItems(profilesDir, keychain, identity.id, entries);
  return identity.id;
}
