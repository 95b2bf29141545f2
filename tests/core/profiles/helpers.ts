/**
 * Helpers for the profile-store tests: throw-away folders, a snapshot of every file under a folder
 * (to prove that bad input changed nothing and that no secret reached a file), and the keychain
 * items of profiles.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { secretKinds, type SecretKind } from '../../../shared/model/storedProfile.ts';
import type { Keychain } from '../../../src-main/core/secrets/keychain.ts';

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

/** The keychain items of `names`, for before/after comparisons. */
export async function keychainSnapshot(keychain: Keychain, names: string[]): Promise<Record<string, string | null>> {
  const result: Record<string, string | null> = {};
  for (const name of names) for (const kind of secretKinds) result[`${name}/${kind}`] = await keychain.get(name, kind as SecretKind);
  return result;
}
