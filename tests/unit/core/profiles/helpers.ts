/**
 * Helpers for the profile-store tests (the hooks that set up a keychain and a store are in
 * keychainWorld.ts): throw-away folders, a snapshot of every file under a folder (to prove that bad input changed nothing and that no secret reached a file), and the keychain
 * items of a store, read straight from the Secret Service through keytar by the naming the README
 * documents (service "pulsar-tunnel", account `<store id>/<profile>/<kind>/<generation>`, the id in
 * `profiles/.store.json`, the generation in the profile's file).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { secretKinds, type SecretKind } from '../../../../shared/model/storedProfile.ts';
import type { ProfileWithSecrets } from '../../../../src-main/core/profiles/store.ts';

/** A fresh private folder; remove it with {@link removeDir}. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `pt-${prefix}-`));
}

export function removeDir(dir: string | undefined): Promise<void> {
  return dir === undefined ? Promise.resolve() : rm(dir, { recursive: true, force: true });
}

/** Every file under `dir` (recursively) with its bytes, keyed by relative path. */
export async function snapshotFiles(dir: string): Promise<Map<string, Buffer>> {
  const result = new Map<string, Buffer>();
  const walk = async (current: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) result.set(path.relative(dir, full), await readFile(full));
    }
  };
  await walk(dir);
  return result;
}

/** The files under `dir` whose bytes contain any of `needles` (as UTF-8, or base64 of it). */
export async function filesContaining(dir: string, needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const [file, bytes] of await snapshotFiles(dir)) {
    for (const needle of needles) {
      if (bytes.includes(Buffer.from(needle)) || bytes.includes(Buffer.from(Buffer.from(needle).toString('base64').slice(0, 40)))) hits.push(`${file} contains ${needle.slice(0, 20)}...`);
    }
  }
  return hits;
}

interface KeytarRaw {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

/** keytar itself, below the app's keychain layer. */
export async function keytarRaw(): Promise<KeytarRaw> {
  const loaded = (await import('keytar')) as unknown as KeytarRaw & { default?: KeytarRaw };
  return loaded.default ?? loaded;
}

/** The id of the store in data folder `dir`, or undefined when it has none yet. */
export async function storeIdOf(dir: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(path.join(dir, 'profiles', '.store.json'), 'utf8')) as { id: string }).id;
  } catch {
    return undefined;
  }
}

/** Every keychain item in the scope of the store in `dir`, keyed by account without the store id (`profile/kind/generation`). */
export async function storeItems(dir: string): Promise<Map<string, string>> {
  const id = await storeIdOf(dir);
  const items = new Map<string, string>();
  if (id === undefined) return items;
  for (const { account, password } of await (await keytarRaw()).findCredentials('pulsar-tunnel')) {
    // `<id>/.store` says where the store is (README); the rest are the profiles' secrets.
    if (account.startsWith(`${id}/`) && account !== `${id}/.store`) items.set(account.slice(id.length + 1), password);
  }
  return items;
}

/** Deletes every keychain item of the store in `dir` (gnome-keyring slows down as items pile up in a long test). */
export async function clearStoreItems(dir: string): Promise<void> {
  const id = await storeIdOf(dir);
  if (id === undefined) return;
  const keytar = await keytarRaw();
  for (const { account } of await keytar.findCredentials('pulsar-tunnel')) if (account.startsWith(`${id}/`)) await keytar.deletePassword('pulsar-tunnel', account);
}

/** The account of the item that holds a secret of a profile in the store in `dir`, as the profile's file names it; undefined when it names none. */
export async function itemAccount(dir: string, name: string, kind: SecretKind): Promise<string | undefined> {
  const id = await storeIdOf(dir);
  let record: { secrets?: string[]; generation?: string };
  try {
    record = JSON.parse(await readFile(path.join(dir, 'profiles', `${name}.json`), 'utf8')) as typeof record;
  } catch {
    return undefined;
  }
  if (id === undefined || record.generation === undefined || !record.secrets?.includes(kind)) return undefined;
  return `${id}/${name}/${kind}/${record.generation}`;
}

/** A secret of a profile as the keychain holds it for the store in `dir`, or null. */
export async function storedSecret(dir: string, name: string, kind: SecretKind): Promise<string | null> {
  const account = await itemAccount(dir, name, kind);
  return account === undefined ? null : (await keytarRaw()).getPassword('pulsar-tunnel', account);
}

/** The keychain items of `names` in the store in `dir`, for before/after comparisons. */
export async function keychainSnapshot(dir: string, names: string[]): Promise<Record<string, string | null>> {
  const result: Record<string, string | null> = {};
  for (const name of names) for (const kind of secretKinds) result[`${name}/${kind}`] = await storedSecret(dir, name, kind as SecretKind);
  return result;
}

/** Profiles imp-0..count-1 of one import: each names its tag in its serviceUrl and token. */
export function importItems(tag: string, count: number): ProfileWithSecrets[] {
  return Array.from({ length: count }, (_, i) => ({ profile: { name: `imp-${i}`, serviceUrl: `pulsar+ssl://${tag}-${i}.test:6651`, auth: 'token' as const }, secrets: { token: `${tag}-token-${i}` } }));
}
