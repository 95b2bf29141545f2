#!/usr/bin/env node
// Builds the CLI once (`npm run build:cli`, also run by `prepare`, hence by `npm ci`): our
// TypeScript sources bundled by esbuild into out/cli/main.mjs (npm packages stay external), so
// `pulsar-tunnel` starts with plain Node, in one process, with nothing written at run time.
// Beside it, out/cli/inputs.json lists the files that went in (ours and the bundled packages'), with
// their times and sizes (./buildInputs.mjs); bin/pulsar-tunnel.mjs runs the bundle only while none
// of them is newer than the build or differs from what was built, and the sources (through tsx)
// otherwise.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeOthers, writeAtomic, writeInputsManifest } from './buildInputs.mjs';

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

/** The packages the CLI runs with (package.json's "dependencies"): bundled, with what they import. */
const runtimeDependencies = new Set(Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies));
/** Optional native helpers of ws: used when installed, so looked up at run time. */
const optionalNative = new Set(['bufferutil', 'utf-8-validate']);
const packageName = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
const bundleRuntimeDependencies = {
  name: 'bundle-runtime-dependencies',
  setup(build) {
    // Bare specifiers (neither relative nor absolute): a package our sources import is bundled when
    // it is a runtime dependency; keytar (native, optional) and the build tools some commands load
    // on demand (vite) stay external, as do ws's optional native helpers.
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = packageName(args.path);
      if (args.path.startsWith('node:') || args.kind === 'entry-point') return undefined;
      const fromPackage = /[\\/]node_modules[\\/]/.test(args.importer);
      if (optionalNative.has(name) || (!fromPackage && !runtimeDependencies.has(name))) return { path: args.path, external: true };
      return undefined;
    });
  },
};

/**
 * zod's error messages in English only: its index of ~60 translations (imported as `z.locales`,
 * which the CLI never uses) is replaced by English, the one zod configures itself with. Together
 * with the whitespace and comments left out below, a running tunnel holds ~2 MB less source.
 */
const zodInEnglish = {
  name: 'zod-in-english',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({ contents: 'export { default as en } from "./en.js";', resolveDir: dirname(args.path) }));
  },
};

const startedAt = Date.now();
mkdirSync(outDir, { recursive: true });
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
    // The runtime dependencies are bundled in too, only what is used: loading zod's ~170 files
    // through Node's ES module loader cost a running tunnel ~3 MB of memory (and ~9 MB for zod
    // alone) and start-up time.
    plugins: [bundleRuntimeDependencies, zodInEnglish],
    // Without comments: V8 keeps the source of every module in memory, and a single character
    // outside Latin-1 in a comment (a dash in zod's) makes it store a whole chunk at two bytes per
    // character. Names are kept; stack traces map back through the source map.
    minifyWhitespace: true,
    // The CommonJS packages bundled (commander, ws, protobufjs) call require() for Node's built-ins.
    banner: { js: "import { createRequire as __ptCreateRequire } from 'node:module'; const require = __ptCreateRequire(import.meta.url);" },
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
  removeOthers(join(outDir, 'chunks'), written);
  // Each input with its modification time and size as built (see ./buildInputs.mjs). Written through
  // a rename like the files above: a CLI starting during a build never reads half a file.
  // tsconfig.json too: esbuild applies its compiler options (useDefineForClassFields, ...) to every
  // TypeScript file, and the metafile does not name it.
  const compilerOptions = existsSync(join(root, 'tsconfig.json')) ? ['tsconfig.json'] : [];
  writeInputsManifest(join(outDir, 'inputs.json'), root, [...Object.keys(result.metafile.inputs), ...compilerOptions], startedAt);
} catch (error) {
  console.error(`pulsar-tunnel: building the CLI failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
