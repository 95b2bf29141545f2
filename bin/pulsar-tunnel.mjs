#!/usr/bin/env node
// Entry point of the `pulsar-tunnel` command. It runs the CLI built once by `npm run build:cli`
// (which `npm ci` runs as `prepare`): out/cli/main.mjs, imported in this same process, so a
// running tunnel is one process and signals sent to it reach the CLI. Nothing is built or written
// at start. When a source file that went into that build has changed since (a developer at work),
// or there is no build, the TypeScript sources run instead through tsx's loader (a development
// fallback: slower to start, and the loader's thread costs memory for the life of a tunnel).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inputsAreCurrent } from '../scripts/buildInputs.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'out', 'cli', 'main.mjs');

/** True when out/cli/main.mjs exists and no file it was built from changed since (newer, or other times or size). */
function buildIsCurrent() {
  return existsSync(built) && inputsAreCurrent(join(root, 'out', 'cli', 'inputs.json'), root);
}

if (buildIsCurrent()) {
  await import(pathToFileURL(built).href);
} else {
  if (process.env.PULSAR_TUNNEL_DEBUG) console.error('pulsar-tunnel: the CLI build is missing or older than the sources; running the sources through tsx (npm run build:cli builds it)');
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error('pulsar-tunnel: the CLI is not built and tsx (a dev dependency) is not installed to run its sources; run `npm ci`, or `npm run build:cli`.');
    process.exit(1);
  }
  register();
  await import(pathToFileURL(join(root, 'src-main', 'cli', 'main.ts')).href);
}
