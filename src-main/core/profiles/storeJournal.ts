/**
 * Changes of the store that touch several files and keychain items, all or nothing across a crash
 * (kill -9, power cut). Before anything changes, the plan is written to `.journal-prepared.json`:
 * the keychain items to create, the files to write and remove, the items to delete afterwards. The
 * new items are written next, under new names (storeSecrets.ts), so nothing in use changes. Then
 * the journal is renamed to `.journal-committed.json`: that rename is the commit. Then the files are
 * written and removed, the old items deleted, and the journal removed.
 *
 * Whoever takes the store lock next and finds a journal left by a crash finishes it: a prepared one
 * is rolled back (its new items deleted; no file was touched yet), a committed one rolled forward
 * (its files written again, which is idempotent, its old items deleted). So the store is exactly
 * as before or as after. Only items a journal names are ever deleted, and only by the store folder
 * that wrote the journal: a copy of the folder does not delete the original's items.
 */
import { readFile, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import type { Keychain, KeychainItem } from '../secrets/keychain.ts';
import { syncDir, writeFileAtomic } from './storeFiles.ts';

/** What one transaction changes. File names are relative to the profiles folder. */
export interface TransactionPlan {
  /** Items written before the commit; deleted again when it does not commit. */
  create: { item: KeychainItem; value: string }[];
  /** Files written at the commit. */
  write: { file: string; content: string }[];
  /** Files removed at the commit. */
  remove: string[];
  /** Items deleted once the commit is done. */
  drop: KeychainItem[];
}

interface Journal {
  version: 1;
  /** The real path of the profiles folder that wrote the journal. */
  owner: string;
  create: KeychainItem[];
  write: { file: string; content: string }[];
  remove: string[];
  drop: KeychainItem[];
}

/** The journal of a transaction that has not committed. */
export const preparedJournal = '.journal-prepared.json';
/** The journal of a committed transaction that has not finished. */
export const committedJournal = '.journal-committed.json';

async function readJournal(file: string): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const journal = JSON.parse(text) as Journal;
    if (journal.version === 1 && [journal.create, journal.write, journal.remove, journal.drop].every(Array.isArray) && typeof journal.owner === 'string') return journal;
  } catch {
    // Reported below.
  }
  throw new AppError('PROFILE_STORE_CORRUPT', `The profile store's journal ${file} is damaged, so an interrupted change cannot be finished; move it aside and check the profiles it names.`);
}

/** A file name of the profiles folder, refusing anything that would leave it (a journal is input). */
function inside(profilesDir: string, file: string): string {
  if (path.basename(file) !== file || file === '' || file === '.' || file === '..') throw new AppError('PROFILE_STORE_CORRUPT', `The profile store's journal names a file outside ${profilesDir} ("${file}"); move the journal aside.`);
  return path.join(profilesDir, file);
}

async function rollForward(profilesDir: string, keychain: Keychain, journal: Journal, own: boolean): Promise<void> {
  const file = path.join(profilesDir, committedJournal);
  if (journal.write.length > 0 || journal.remove.length > 0) {
    // Removals first: a rename that changes only the case of a name is one file on a
    // case-insensitive file system, and must end with the new file there.
    for (const name of journal.remove) await rm(inside(profilesDir, name), { force: true });
    for (const { file: name, content } of journal.write) await writeFileAtomic(inside(profilesDir, name), content);
    if (journal.drop.length > 0 && own) {
      // The files are done: keep only what is left to do, so a later retry never rewrites them.
      await writeFileAtomic(file, JSON.stringify({ ...journal, create: [], write: [], remove: [] } satisfies Journal));
    }
  }
  if (own) for (const item of journal.drop) await keychain.delete(item);
  await rm(file, { force: true });
  await syncDir(profilesDir);
}

async function rollBack(profilesDir: string, keychain: Keychain, journal: Journal, own: boolean): Promise<void> {
  if (own) for (const item of journal.create) await keychain.delete(item);
  await rm(path.join(profilesDir, preparedJournal), { force: true });
  await syncDir(profilesDir);
}

/**
 * Finishes a transaction a crash interrupted, if any (call it holding the store lock): rolls a
 * prepared one back, a committed one forward. The files are always put right; the keychain part
 * may fail (locked keychain) and is then retried by the next call.
 * @param strict rethrow a keychain failure (before a new transaction) instead of leaving it for later.
 * @throws AppError KEYCHAIN_* (strict only), PROFILE_STORE_CORRUPT (a damaged journal), file-system errors.
 */
export async function recoverTransaction(profilesDir: string, keychain: Keychain, strict: boolean): Promise<void> {
  const prepared = await readJournal(path.join(profilesDir, preparedJournal));
  const committed = await readJournal(path.join(profilesDir, committedJournal));
  if (!prepared && !committed) return;
  const me = await realpath(profilesDir);
  try {
    if (prepared) await rollBack(profilesDir, keychain, prepared, prepared.owner === me);
    if (committed) await rollForward(profilesDir, keychain, committed, committed.owner === me);
  } catch (error) {
    if (strict || !(error instanceof AppError) || !error.code.startsWith('KEYCHAIN_')) throw error;
  }
}

/**
 * Runs one transaction (call it holding the store lock): all of the plan happens, or none of it,
 * even across a crash (see the module comment).
 * @throws AppError KEYCHAIN_* (then nothing changed), file-system errors.
 */
export async function runTransaction(profilesDir: string, keychain: Keychain, plan: TransactionPlan): Promise<void> {
  await recoverTransaction(profilesDir, keychain, true);
  const journal: Journal = { version: 1, owner: await realpath(profilesDir), create: plan.create.map(({ item }) => item), write: plan.write, remove: plan.remove, drop: plan.drop };
  // Nothing to write to the keychain but items to delete: fail now, before any file changes, if
  // the keychain is locked (a read of a missing item on a locked keychain says so).
  if (plan.create.length === 0 && plan.drop[0] !== undefined) await keychain.get(plan.drop[0]);
  const preparedFile = path.join(profilesDir, preparedJournal);
  await writeFileAtomic(preparedFile, JSON.stringify(journal));
  try {
    for (const { item, value } of plan.create) await keychain.set(item, value);
  } catch (error) {
    // Leaves the journal when the keychain cannot delete either: the next lock holder retries.
    await rollBack(profilesDir, keychain, journal, true).catch(() => undefined);
    throw error;
  }
  await rename(preparedFile, path.join(profilesDir, committedJournal));
  await syncDir(profilesDir);
  try {
    await rollForward(profilesDir, keychain, journal, true);
  } catch (error) {
    // Committed: the change stands. Old items a locked keychain kept are deleted by the next lock holder.
    if (!(error instanceof AppError) || !error.code.startsWith('KEYCHAIN_')) throw error;
  }
}
