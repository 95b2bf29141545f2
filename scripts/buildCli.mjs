#!/usr/bin/env node
// Builds the CLI once (`npm run build:cli`, also run by `prepare`, hence by `npm ci`): our
// TypeScript sources bundled by esbuild into out/cli/main.mjs (npm packages stay external), so
// `pulsar-tunnel` starts with plain Node, in one process, with nothing written at run time.
// Beside it, out/cli/inputs.json lists the source files that went in; bin/pulsar-tunnel.mjs runs
// the bundle only while none of them is newer, and the sources (through tsx) otherwise.
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'out', 'cli');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // `npm ci --omit=dev` has no esbuild: say so instead of failing the install.
  console.error('pulsar-tunnel: esbuild is not installed (a production-only install?), so the CLI was not built; run `npm ci` with dev dependencies, then `npm run build:cli`.');
  process.exit(0);
}

const startedAt = Date.now();
mkdirSync(outDir, { recursive: true });
/** Writes through a temporary name and a rename: a CLI starting during a build never reads half a file. */
function writeAtomic(path, contents) {
  const temporary = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(temporary, contents);
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
}
try {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src-main', 'cli', 'main.ts')],
    outdir: outDir,
    // Each command's engine code in its own chunk, loaded when that command runs: `--help` loads
    // commander and the command definitions only.
    splitting: true,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // A linked map (not inline): `node --enable-source-maps` uses it, plain starts never parse it.
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  // Chunks and maps first, the entry point last: the bundle that names them appears when they exist.
  const entry = join(outDir, 'main.mjs');
  const ordered = [...result.outputFiles].sort((a, b) => Number(a.path === entry) - Number(b.path === entry));
  for (const file of ordered) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeAtomic(file.path, file.contents);
  }
  // Chunks of earlier builds (their names carry a content hash) are no longer referenced.
  const written = new Set(ordered.map((file) => file.path));
  const chunksDir = join(outDir, 'chunks');
  for (const name of readdirSync(chunksDir)) if (!written.has(join(chunksDir, name))) rmSync(join(chunksDir, name), { force: true });
  const inputs = Object.keys(result.metafile.inputs).map((file) => relative(root, resolve(root, file)).split('\\').join('/'));
  writeAtomic(join(outDir, 'inputs.json'), `${JSON.stringify({ builtAt: startedAt, inputs }, null, 1)}\n`);
} catch (error) {
  console.error(`pulsar-tunnel: building the CLI failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
