/**
 * The file-system pieces of the profile store: where it lives, atomic writes, and an inter-process
 * lock. Two processes (the desktop app and the CLI) may edit the store at once; every change is a
 * read-modify-write under the lock, and every file is replaced by rename so a reader or a crash
 * never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import path from 'node:path';
import { AppError } from '../../../shared/errors.ts';

/** The application name, which is also the name of its data folder. */
export const appName = 'pulsar-tunnel';

/**
 * The app's per-user data folder: `PULSAR_TUNNEL_HOME` when set, otherwise the folder Electron's
 * `app.getPath('userData')` gives for the app name (Linux `$XDG_CONFIG_HOME/pulsar-tunnel` or
 * `~/.config/pulsar-tunnel`, macOS `~/Library/Application Support/pulsar-tunnel`, Windows
 * `%APPDATA%\pulsar-tunnel`), so the CLI and the app share one store.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (env.PULSAR_TUNNEL_HOME) return path.resolve(env.PULSAR_TUNNEL_HOME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', appName);
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), appName);
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(config, appName);
}

async function fsyncPath(target: string, flags: string): Promise<void> {
  const handle = await open(target, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The prefix of temporary files; loaders skip (and clean up) files with it. */
export const tempPrefix = '.tmp-';

/**
 * Replaces `file` with `content` atomically: write a temporary file in the same folder, fsync it,
 * rename it over the target, fsync the folder (so the rename itself survives a power cut).
 * @throws the file-system error; the target is then unchanged.
 */
export async function writeFileAtomic(file: string, content: string, mode = 0o600): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `${tempPrefix}${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dir);
}

/** Makes a rename or removal in `dir` durable (fsync of the folder). */
export async function syncDir(dir: string): Promise<void> {
  // Windows cannot open a folder for fsync; there rename is durable enough (MoveFileEx).
  if (process.platform !== 'win32') await fsyncPath(dir, 'r');
}

/** Whether process `pid` exists on this machine (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockOwner {
  pid: number;
  host: string;
  time: number;
  nonce: string;
}

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up waiting after this long (PROFILE_STORE_BUSY). Default 10 s. */
  timeoutMs?: number;
  /** A lock older than this is taken over even if its owner seems alive (a hung process). Default 60 s. */
  staleMs?: number;
}

async function readOwner(lockFile: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(lockFile, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/** The owner record (or the file's mtime, when unreadable) of a lock judged stale; undefined when it is live. */
async function staleMark(lockFile: string, staleMs: number): Promise<string | undefined> {
  const owner = await readOwner(lockFile);
  if (owner === undefined) {
    // Created but not yet written, or damaged: stale only once it is old.
    try {
      const info = await stat(lockFile);
      return Date.now() - info.mtimeMs > Math.min(staleMs, 5_000) ? `mtime:${info.mtimeMs}` : undefined;
    } catch {
      return undefined;
    }
  }
  // Too old, or a crashed owner on this machine (kill -9): its pid is gone.
  const stale = Date.now() - owner.time > staleMs || (owner.host === hostname() && !processAlive(owner.pid));
  return stale ? owner.nonce : undefined;
}

async function markOf(file: string): Promise<string | undefined> {
  const owner = await readOwner(file);
  if (owner) return owner.nonce;
  try {
    return `mtime:${(await stat(file)).mtimeMs}`;
  } catch {
    return undefined;
  }
}

/**
 * Runs `action` while holding an exclusive lock file (created with O_EXCL). A lock left by a
 * process that died (its pid is gone) or that is older than `staleMs` is taken over.
 * @throws AppError PROFILE_STORE_BUSY naming the lock file when it cannot be had within `timeoutMs`.
 */
export async function withFileLock<T>(lockFile: string, action: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const owner: LockOwner = { pid: process.pid, host: hostname(), time: Date.now(), nonce: randomBytes(8).toString('hex') };
  let pause = 2;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const stale = await staleMark(lockFile, staleMs);
    if (stale !== undefined) {
      // Move the stale lock aside under a unique name (atomic) rather than unlinking it. If what
      // was moved is not the lock judged stale (another process took over in between and made a
      // new one), put it back with link(), which fails rather than replace a newer lock.
      const aside = `${lockFile}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
      try {
        await rename(lockFile, aside);
        if ((await markOf(aside)) !== stale) await link(aside, lockFile).catch(() => undefined);
      } catch {
        // Someone else took it over first: try again.
      }
      await rm(aside, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new AppError('PROFILE_STORE_BUSY', `The profile store is locked by another pulsar-tunnel process (lock file ${lockFile}); try again, or delete that file if no pulsar-tunnel process is running.`);
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 50);
  }
  try {
    return await action();
  } finally {
    // Remove the lock only if it is still ours (it may have been taken over as stale).
    const current = await readOwner(lockFile);
    if (current?.nonce === owner.nonce) await unlink(lockFile).catch(() => undefined);
  }
}
