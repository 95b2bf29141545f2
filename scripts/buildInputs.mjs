// What a build was made from, so that a build is used only while it is current. Two builds use it:
// the CLI (scripts/buildCli.mjs, checked by bin/pulsar-tunnel.mjs) and the UI (vite.config.ts,
// checked by bin/start.mjs and src-main/host/rendererBuild.ts). Next to the build, a manifest lists
// every file that went in (ours and the packages'), with its modification time and size as built,
// and when the build started. The build is current while every one of those files is still there,
// none is newer than the build, and none differs from what was built: a file put back with other
// times, older ones too (`cp -p`, `rsync -t`, `git checkout` of an older commit after a newer one was
// built, a package linked from a package manager's store), is not the one that was built.
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Where the record of a build emptied and written whole into `outputDir` goes: beside that folder
 * (out/renderer.inputs.json for out/renderer), so the build does not empty it and nothing serves it.
 */
export function recordBeside(outputDir) {
  return `${outputDir}.inputs.json`;
}

/** The temporary names {@link writeAtomic} writes through: another build's file in the making. */
const inTheMaking = /^\.\d+\.\d+\.tmp$/;

/** Writes through a temporary name and a rename: a reader never sees half a file. */
export function writeAtomic(path, contents) {
  const temporary = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(temporary, contents);
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/**
 * Removes the files of `dir` that are not in `keep` (absolute paths): outputs of earlier builds. A
 * file another build is writing at the same time (its temporary name) is left alone: removing it
 * made that build fail on its rename (two `npm run build:cli`, or two test runs, at once).
 */
export function removeOthers(dir, keep) {
  for (const name of readdirSync(dir)) if (!keep.has(join(dir, name)) && !inTheMaking.test(name)) rmSync(join(dir, name), { force: true });
}

/**
 * Writes the manifest of a build to `manifestPath`: `files` (absolute, or relative to `root`) with
 * their times and sizes now, recorded relative to `root`, and `builtAt`, when the build started (a
 * file changed while it ran is newer than the build, so the next check builds again).
 */
export function writeInputsManifest(manifestPath, root, files, builtAt) {
  const inputs = [...new Set(files.map((file) => relative(root, resolve(root, file)).split('\\').join('/')))].sort().map((file) => {
    const stats = statSync(join(root, file));
    return { file, mtimeMs: stats.mtimeMs, size: stats.size };
  });
  writeAtomic(manifestPath, `${JSON.stringify({ builtAt, inputs })}\n`);
}

/**
 * True when the manifest at `manifestPath` exists and every file it lists (relative to `root`) is
 * unchanged since the build; false when there is no manifest (no build, or a build made before
 * manifests were written) or any file was changed, replaced or removed.
 */
export function inputsAreCurrent(manifestPath, root) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(manifest.inputs) || typeof manifest.builtAt !== 'number') return false;
  for (const input of manifest.inputs) {
    // A plain name: a CLI build of an earlier version, which recorded no times.
    const recorded = typeof input === 'string' ? { file: input } : input;
    const stats = statSync(join(root, recorded.file), { throwIfNoEntry: false });
    if (stats === undefined || stats.mtimeMs > manifest.builtAt) return false;
    if (recorded.mtimeMs !== undefined && (stats.mtimeMs !== recorded.mtimeMs || stats.size !== recorded.size)) return false;
  }
  return true;
}
