/**
 * The store's folder of profile files, as read: the file names, every profile with the problems
 * met (a damaged file is moved aside under the lock, with a timestamp, never dropped), one profile
 * by exact name, and the profile a name clashes with. The store (store.ts) adds the lock around
 * changes, the keychain and validation.
 */
import { readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { AppError, isAppError } from '../../../shared/errors.ts';
import { withFileLock } from './storeFiles.ts';
import { DamagedFile, isProfileFileName, NewerFile, profileFileName, readProfileFile, type StoredEntry } from './storeRecords.ts';
import { sameName } from './validate.ts';

/** A problem found while loading the store: the file, what is wrong, and where it was moved. */
export interface StoreProblem {
  file: string;
  message: string;
  movedTo?: string;
}

/** What the store's `list` returns. */
export interface StoreListing {
  profiles: StoredEntry[];
  problems: StoreProblem[];
}

/** PROFILE_NOT_FOUND for `name`, saying how to see the names that exist. */
export function notFound(name: string): AppError {
  return new AppError('PROFILE_NOT_FOUND', `No profile is named "${name}"; \`pulsar-tunnel profiles list\` shows the ones that exist.`);
}

/** The profile files of one store folder. */
export class ProfileFolder {
  readonly dir: string;
  readonly #lockFile: string;
  readonly #lockTimeoutMs: number;

  constructor(dir: string, lockFile: string, lockTimeoutMs: number) {
    this.dir = dir;
    this.#lockFile = lockFile;
    this.#lockTimeoutMs = lockTimeoutMs;
  }

  /**
   * The profile file names, sorted.
   * @throws AppError PROFILE_UNREADABLE when the folder cannot be read.
   */
  async fileNames(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter(isProfileFileName).sort();
    } catch (error) {
      throw new AppError('PROFILE_UNREADABLE', `The profile store folder ${this.dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, { cause: error });
    }
  }

  /** Moves a damaged file aside (under the lock, re-checking it is still damaged) and describes it. */
  async moveAside(fileName: string, reason: string): Promise<StoreProblem> {
    const file = path.join(this.dir, fileName);
    return withFileLock(
      this.#lockFile,
      async () => {
        try {
          await readProfileFile(this.dir, fileName);
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

  /** Every profile, sorted by name, and the problems met (damaged files moved aside and listed). */
  async readAll(): Promise<StoreListing> {
    const profiles: StoredEntry[] = [];
    const problems: StoreProblem[] = [];
    for (const fileName of await this.fileNames()) {
      const file = path.join(this.dir, fileName);
      try {
        const entry = await readProfileFile(this.dir, fileName);
        if (entry) profiles.push(entry);
      } catch (error) {
        if (error instanceof DamagedFile) problems.push(await this.moveAside(fileName, error.message));
        else if (error instanceof NewerFile) problems.push({ file, message: `The stored profile ${file} was skipped: ${error.message}.` });
        else if (isAppError(error)) problems.push({ file, message: error.message });
        else throw error;
      }
    }
    return { profiles, problems };
  }

  /**
   * One profile, by its exact file name.
   * @throws AppError PROFILE_NOT_FOUND, PROFILE_STORE_CORRUPT (the file was moved aside), PROFILE_UNREADABLE.
   */
  async readOne(name: string): Promise<StoredEntry> {
    const fileName = profileFileName(name);
    // Only the exact file name: on a case-insensitive file system "Prod.json" would open "prod.json".
    if (!(await this.fileNames()).includes(fileName)) throw notFound(name);
    try {
      const entry = await readProfileFile(this.dir, fileName);
      if (!entry) throw notFound(name);
      return entry;
    } catch (error) {
      if (error instanceof DamagedFile) {
        const problem = await this.moveAside(fileName, error.message);
        throw new AppError('PROFILE_STORE_CORRUPT', problem.message);
      }
      if (error instanceof NewerFile) throw new AppError('PROFILE_STORE_CORRUPT', `The stored profile "${name}" cannot be used: ${error.message}.`);
      throw error;
    }
  }

  /** The existing profile whose name equals `name` ignoring case, read under the lock. */
  async existing(name: string): Promise<StoredEntry | undefined> {
    for (const fileName of await this.fileNames()) {
      if (!sameName(fileName.slice(0, -5), name)) continue;
      try {
        const entry = await readProfileFile(this.dir, fileName);
        if (entry) return entry;
      } catch (error) {
        if (error instanceof DamagedFile || error instanceof NewerFile) {
          throw new AppError('PROFILE_EXISTS', `A stored profile file ${path.join(this.dir, fileName)} already uses the name "${name}" (${error.message}); remove it or choose another name.`);
        }
        throw error;
      }
    }
    return undefined;
  }

}
