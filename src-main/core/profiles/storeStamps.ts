/**
 * What a file or folder of the store looked like when it was read (inode, size, modification and
 * change times in nanoseconds), so a long-running process (the desktop app, `pulsar-tunnel ui`)
 * can tell that nothing changed since without reading and validating every profile again. Any
 * writer changes a stamp: the store replaces files by rename (a new inode, and the folder's times
 * change), and an editor saving in place changes the file's times and usually its size.
 *
 * A stamp is only trusted once it is "settled": older than the file system's timestamp granularity
 * (the kernel stamps with a clock that advances in ticks, and some file systems keep whole
 * seconds), so a second change within the same tick as the read cannot hide behind an equal stamp
 * (git's "racy" index entries, handled the same way).
 */
import { statSync } from 'node:fs';

/** A file's identity and times as `stat` gives them; see the module comment. */
export interface FileStamp {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

// Local Linux, macOS and Windows file systems stamp in ticks of at most a few milliseconds.
const fineMarginNs = 100_000_000n;
// Whole-second (or 2 s, FAT) stamps, and some network file systems.
const coarseMarginNs = 3_000_000_000n;

/** The stamp of `file` now; undefined when it does not exist (other errors too: the caller reads it and reports). */
export function stampOf(file: string): FileStamp | undefined {
  try {
    const stats = statSync(file, { bigint: true, throwIfNoEntry: false });
    if (stats === undefined) return undefined;
    return { ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs };
  } catch {
    return undefined;
  }
}

/** Whether two stamps are the same (both present). */
export function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  return a !== undefined && b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/**
 * Whether a change after `readAtNs` (the wall-clock time the stamp was taken, before reading the
 * content) would surely have changed the stamp: its times lie further back than the granularity.
 */
export function settled(stamp: FileStamp, readAtNs: bigint): boolean {
  const coarse = stamp.mtimeNs % 1_000_000n === 0n && stamp.ctimeNs % 1_000_000n === 0n;
  const newest = stamp.ctimeNs > stamp.mtimeNs ? stamp.ctimeNs : stamp.mtimeNs;
  return newest + (coarse ? coarseMarginNs : fineMarginNs) < readAtNs;
}

/** The wall-clock time in nanoseconds, comparable with the stamps' times. */
export function wallClockNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
