#!/usr/bin/env node
// Entry point of the `pulsar-tunnel` command, straight from the TypeScript sources: there is no
// build step after `npm ci`. The CLI is bundled with esbuild at each start (our sources only; npm
// packages stay external) into node_modules/.cache and imported in this same process, so signals
// sent to this process reach the CLI directly. Bundling instead of a loader hook (tsx) spares the
// loader's extra thread, about 35 MB of resident memory for the life of a tunnel. Should bundling
// fail, tsx's loader runs the sources instead.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src-main', 'cli', 'main.ts');

/** Removes bundles left by processes that died without running their exit handler (SIGKILL). */
function removeOrphans(dir) {
  for (const name of readdirSync(dir)) {
    const pid = Number(/^cli\.(\d+)\.mjs$/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if (error.code === 'ESRCH') rmSync(join(dir, name), { force: true });
    }
  }
}

async function bundled() {
  const { build } = await import('esbuild');
  const dir = join(root, 'node_modules', '.cache', 'pulsar-tunnel');
  mkdirSync(dir, { recursive: true });
  removeOrphans(dir);
  // One file per process, removed when it exits: concurrent starts never share a bundle.
  const outfile = join(dir, `cli.${process.pid}.mjs`);
  process.once('exit', () => rmSync(outfile, { force: true }));
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  return outfile;
}

let file;
try {
  file = await bundled();
} catch (error) {
  if (process.env.PULSAR_TUNNEL_DEBUG) console.error('pulsar-tunnel: bundling failed, running the sources through tsx:', error);
}
if (file) {
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(file).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(entry).href);
}
