/**
 * The store's folder of profile files, as read: the file names, every profile with the problems
 * met (a damaged file is moved aside under the lock, with a timestamp, never dropped), one profile
 * by exact name, and the profile a name clashes with. The store (store.ts) adds the lock around
 * changes, the keychain and validation.
 *
 * A long-running process lists the store on every refresh of its UI: the listing is remembered
 * with the stamps of the folder and of each file (storeStamps.ts), and given again without reading
 * or validating anything while every stamp is unchanged and settled. Any change, by this process
 * or another (the CLI), changes a stamp, and the next listing reads the folder again (only the
 * files whose stamps changed).
 */
import { readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { AppError, isAppError } from '../../../shared/errors.ts';
import { withFileLock } from './storeFiles.ts';
import { DamagedFile, isProfileFileName, NewerFile, profileFileName, readProfileFile, type StoredEntry } from './storeRecords.ts';
import { sameStamp, settled, stampOf, wallClockNs, type FileStamp } from './storeStamps.ts';
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

/** A file or folder as read: its stamp, taken before reading, and when. */
interface Read<T> {
  stamp: FileStamp;
  readAtNs: bigint;
  value: T;
}

/** Whether what was read is still what is there: `now` (the stamp at hand) equals its stamp, and that stamp is settled. */
function unchanged<T>(read: Read<T> | undefined, now: FileStamp | undefined): read is Read<T> {
  return read !== undefined && settled(read.stamp, read.readAtNs) && sameStamp(read.stamp, now);
}

/** Freezes a remembered entry: every caller of a listing gets the same objects. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}

/** The profile files of one store folder. */
export class ProfileFolder {
  readonly dir: string;
  readonly #lockFile: string;
  readonly #lockTimeoutMs: number;
  /** Profiles read, by file name. */
  readonly #entries = new Map<string, Read<StoredEntry>>();
  /** The last listing without problems: its file names, under the folder's stamp. */
  #listing: Read<string[]> | undefined;

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

  /**
   * The last listing, when neither the folder nor any of its profile files changed since (their
   * stamps are equal and settled): no file is read. Undefined otherwise; then {@link readAll}.
   */
  remembered(): StoreListing | undefined {
    const listing = this.#listing;
    if (!unchanged(listing, stampOf(this.dir))) return undefined;
    const profiles: StoredEntry[] = [];
    for (const fileName of listing.value) {
      const read = this.#entries.get(fileName);
      if (!unchanged(read, stampOf(path.join(this.dir, fileName)))) return undefined;
      profiles.push(read.value);
    }
    return { profiles, problems: [] };
  }

  /** One profile file, from memory when its stamp is unchanged and settled. */
  async #readFile(fileName: string): Promise<StoredEntry | undefined> {
    const readAtNs = wallClockNs();
    const stamp = stampOf(path.join(this.dir, fileName));
    const known = this.#entries.get(fileName);
    if (unchanged(known, stamp)) return known.value;
    this.#entries.delete(fileName);
    const entry = await readProfileFile(this.dir, fileName);
    if (entry !== undefined && stamp !== undefined) this.#entries.set(fileName, { stamp, readAtNs, value: frozen(entry) });
    return entry;
  }

  /**
   * Every profile, sorted by name, and the problems met (damaged files moved aside and listed).
   * Unchanged files are not read again (see {@link remembered}).
   */
  async readAll(): Promise<StoreListing> {
    const readAtNs = wallClockNs();
    const folderStamp = stampOf(this.dir);
    const fileNames = await this.fileNames();
    const profiles: StoredEntry[] = [];
    const problems: StoreProblem[] = [];
    for (const name of this.#entries.keys()) if (!fileNames.includes(name)) this.#entries.delete(name);
    for (const fileName of fileNames) {
      const file = path.join(this.dir, fileName);
      try {
        const entry = await this.#readFile(fileName);
        if (entry) profiles.push(entry);
      } catch (error) {
        if (error instanceof DamagedFile) problems.push(await this.moveAside(fileName, error.message));
        else if (error instanceof NewerFile) problems.push({ file, message: `The stored profile ${file} was skipped: ${error.message}.` });
        else if (isAppError(error)) problems.push({ file, message: error.message });
        else throw error;
      }
    }
    this.#listing = problems.length === 0 && folderStamp !== undefined ? { stamp: folderStamp, readAtNs, value: fileNames } : undefined;
    return { profiles, problems };
  }

  /** The next {@link remembered} answers undefined, whatever the stamps say. */
  forgetListing(): void {
    this.#listing = undefined;
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
