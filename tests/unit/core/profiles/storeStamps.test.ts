/**
 * When the store may trust a file's stamp to reveal the next change: only once its times lie
 * further back than the file system's timestamp granularity (0.1 s for nanosecond stamps, 3 s for
 * whole-second or whole-millisecond ones), and only for the very same file (inode, size, times).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sameStamp, settled, stampOf, type FileStamp } from '../../../../src-main/core/profiles/storeStamps.ts';

const ms = 1_000_000n;
const fine: FileStamp = { ino: 7n, size: 100n, mtimeNs: 1_700_000_000_123_456_789n, ctimeNs: 1_700_000_000_223_456_789n };

describe('store file stamps', () => {
  it('trusts a nanosecond stamp once its newest time is more than 0.1 s old at the read', () => {
    expect(settled(fine, fine.ctimeNs + 100n * ms)).toBe(false);
    expect(settled(fine, fine.ctimeNs + 100n * ms + 1n)).toBe(true);
    // The change time counts when it is newer than the modification time (a rename, a chmod).
    expect(settled(fine, fine.mtimeNs + 150n * ms)).toBe(false);
  });

  it('waits 3 s for stamps of whole milliseconds or seconds (FAT, exFAT, some network file systems)', () => {
    const coarse: FileStamp = { ...fine, mtimeNs: 1_700_000_000_000_000_000n, ctimeNs: 1_700_000_002_000_000_000n };
    expect(settled(coarse, coarse.ctimeNs + 2_999n * ms)).toBe(false);
    expect(settled(coarse, coarse.ctimeNs + 3_000n * ms + 1n)).toBe(true);
  });

  it('tells apart any difference of inode, size or time, and a missing file', async () => {
    expect(sameStamp(fine, { ...fine })).toBe(true);
    for (const change of [{ ino: 8n }, { size: 101n }, { mtimeNs: fine.mtimeNs + 1n }, { ctimeNs: fine.ctimeNs + 1n }]) expect(sameStamp(fine, { ...fine, ...change })).toBe(false);
    expect(sameStamp(fine, undefined)).toBe(false);
    expect(sameStamp(undefined, undefined)).toBe(false);

    const dir = await mkdtemp(path.join(tmpdir(), 'pt-stamps-'));
    try {
      const file = path.join(dir, 'a.json');
      expect(stampOf(file)).toBeUndefined();
      await writeFile(file, 'one');
      const first = stampOf(file);
      expect(first).toMatchObject({ size: 3n });
      expect(sameStamp(first, stampOf(file))).toBe(true);
      await writeFile(file, 'three');
      expect(sameStamp(first, stampOf(file))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
