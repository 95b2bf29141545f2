/**
 * Which keychain items belong to which store and profile. Every store has an id (random, kept in
 * `<profiles folder>/.store.json`), and all its items are service "pulsar-tunnel", account
 * `<store id>/<profile>/<kind>/<generation>`: two stores (two PULSAR_TUNNEL_HOME folders) never
 * share an item, whatever their profiles are called. The generation is random per write and named
 * by the profile file: an item is never changed once written; a change writes new items, switches
 * the profile file to them, then deletes the old ones (storeJournal.ts), so a profile file and its
 * secrets always change together. 0.1.0 named items `<profile>/<kind>` for every store on the
 * machine; those are copied into the store's scope, never moved or deleted (storeKeychainScope.ts).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import type { SecretKind } from '../../../shared/model/storedProfile.ts';
import { describeKind, type KeychainItem } from '../secrets/keychain.ts';

/** The identity of a store, in `<profiles folder>/.store.json`. */
export interface StoreIdentity {
  /** Scopes the store's keychain items. */
  id: string;
  createdAt: string;
  /** The id of the store this one was copied from (its items were copied to this id). */
  copiedFrom?: string;
}

/** The file of the store's identity, in the profiles folder. */
export const identityFileName = '.store.json';

/** A new store id: 64 random bits in hex. */
export function newStoreId(): string {
  return randomBytes(8).toString('hex');
}

/** A new generation of a profile's items: 32 random bits in hex. */
export function newGeneration(): string {
  return randomBytes(4).toString('hex');
}

/** The item holding one secret of one profile of a store. */
export function profileItem(storeId: string, profile: string, kind: SecretKind, generation: string): KeychainItem {
  return { account: `${storeId}/${profile}/${kind}/${generation}`, description: `the ${describeKind(kind)} of profile "${profile}"` };
}

/** The item 0.1.0 kept one secret of a profile in, shared by every store on the machine. */
export function legacyItem(profile: string, kind: SecretKind): KeychainItem {
  return { account: `${profile}/${kind}`, description: `the ${describeKind(kind)} of profile "${profile}" as pulsar-tunnel 0.1.0 stored it` };
}

/**
 * The item that says which folder holds the store with this id on this machine (its value), so a
 * copy of the folder is told apart from the original (storeKeychainScope.ts). Profile names never
 * start with ".", so it cannot clash with a profile's item.
 */
export function claimItem(storeId: string): KeychainItem {
  return { account: `${storeId}/.store`, description: 'the keychain entry that ties your profiles folder to its secrets' };
}

/**
 * The store identity in a profiles folder, or undefined when it has none yet.
 * @throws AppError PROFILE_STORE_CORRUPT when the file exists but cannot be used (then the
 *   store's secrets cannot be found, and a new id would orphan them).
 */
export async function readIdentity(profilesDir: string): Promise<StoreIdentity | undefined> {
  const file = path.join(profilesDir, identityFileName);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError('PROFILE_UNREADABLE', `The store identity file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); check its permissions.`, { cause: error });
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoreIdentity>;
    if (typeof parsed.id === 'string' && /^[0-9a-f]{16}$/.test(parsed.id)) return { id: parsed.id, createdAt: String(parsed.createdAt ?? ''), ...(typeof parsed.copiedFrom === 'string' ? { copiedFrom: parsed.copiedFrom } : {}) };
  } catch {
    // Reported below.
  }
  throw new AppError(
    'PROFILE_STORE_CORRUPT',
    `The store identity file ${file} is damaged, so the keychain items of this store cannot be found. Restore it from a backup; otherwise move it aside and set the secrets again (import the profiles again).`,
  );
}

/** The text of an identity file. */
export function identityText(identity: StoreIdentity): string {
  return `${JSON.stringify(identity, null, 2)}\n`;
}
