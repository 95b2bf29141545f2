/**
 * A build removes the outputs of earlier builds (chunks whose names carry an old content hash), but
 * not a file another build is writing at that moment: two builds at once in one checkout (two test
 * runs after a pull, `npm run build:cli` beside a test run) made one fail on its rename, "ENOENT ...
 * rename '.../chunks/.31115.1795930272736.tmp' -> '.../chunks/chunk-N2RMAYTL.mjs.map'".
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { removeOthers, writeAtomic } from '../../scripts/buildInputs.mjs';

let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

it("removes an earlier build's chunk and keeps this build's and another build's file in the making", async () => {
  dir = await mkdtemp(join(tmpdir(), 'pt-build-chunks-'));
  const kept = join(dir, 'chunk-NEW.mjs');
  writeAtomic(kept, 'export {}');
  await writeFile(join(dir, 'chunk-OLD.mjs'), 'export {}');
  // What writeAtomic names a file while another process writes it.
  const inTheMaking = `.${process.pid + 1}.${Date.now()}.tmp`;
  await writeFile(join(dir, inTheMaking), 'half a chunk');

  removeOthers(dir, new Set([kept]));

  expect((await readdir(dir)).sort()).toEqual([inTheMaking, 'chunk-NEW.mjs'].sort());
});
