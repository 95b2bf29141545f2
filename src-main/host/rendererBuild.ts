/**
 * Finds the built renderer (out/renderer/index.html) for the web host, building it with Vite's JS
 * API when it is missing, so `pulsar-tunnel ui` works straight after `npm ci`, and again when a file
 * it was built from changed (out/renderer.inputs.json, written by the build: see
 * scripts/buildInputs.mjs), so a checkout never serves a UI older than its sources (after a pull,
 * an old page would speak an older protocol to this web host).
 */
import { existsSync, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputsAreCurrent, recordBeside } from '../../scripts/buildInputs.mjs';

/**
 * The project root: the nearest folder above this module whose package.json is pulsar-tunnel's.
 * Found by walking up rather than by a fixed depth, because the CLI may run this code bundled from
 * node_modules/.cache (bin/pulsar-tunnel.mjs) as well as from src-main/host/.
 */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'pulsar-tunnel') return dir;
    if (dirname(dir) === dir) throw new Error(`pulsar-tunnel's package.json is not above ${from}`);
  }
}

export const projectRoot = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

/** Where `vite build` writes the renderer (vite.config.ts build.outDir). */
export const defaultRendererDir = join(projectRoot, 'out', 'renderer');

/** The command a user can run to build the renderer by hand. */
export const rendererBuildCommand = 'npm run build:renderer';

/** Options of {@link ensureRendererBuild}. */
export interface EnsureRendererOptions {
  rendererDir?: string;
  /** Build with Vite when there is no build or it is older than its sources; true by default. */
  build?: boolean;
  /** Progress lines for the user (stderr in the CLI). */
  log?: (line: string) => void;
}

/** The manifest the build writes beside `rendererDir` (vite.config.ts, recordBuildInputs). */
export function rendererInputsManifest(rendererDir: string): string {
  return recordBeside(rendererDir);
}

/**
 * Returns the renderer directory once it holds a build made from the current sources, building it
 * first if there is none or it is out of date.
 * @throws Error saying exactly which command to run when building failed or was not allowed.
 */
export async function ensureRendererBuild(options: EnsureRendererOptions = {}): Promise<string> {
  const rendererDir = options.rendererDir ?? defaultRendererDir;
  const index = join(rendererDir, 'index.html');
  const built = await exists(index);
  if (built && inputsAreCurrent(rendererInputsManifest(rendererDir), projectRoot)) return rendererDir;
  const why = built ? 'is older than its sources' : `is not built (${index} is missing)`;
  if (options.build === false) throw new Error(`The UI ${why}; run \`${rendererBuildCommand}\` in ${projectRoot}.`);
  options.log?.(built ? `The UI's sources changed since it was built; building it again into ${rendererDir}...` : `Building the UI into ${rendererDir} (first start; \`${rendererBuildCommand}\` does the same)...`);
  try {
    // Loaded only when needed: Vite and the Svelte plugin are build tools, not runtime dependencies.
    const vite = await import('vite');
    await vite.build({ configFile: join(projectRoot, 'vite.config.ts'), root: join(projectRoot, 'src-renderer'), logLevel: 'warn', build: { outDir: rendererDir, emptyOutDir: true } });
  } catch (error) {
    throw new Error(`The UI ${why} and building it failed (${(error as Error).message}); run \`${rendererBuildCommand}\` in ${projectRoot} and look at its output.`, { cause: error });
  }
  if (!(await exists(index))) throw new Error(`Vite finished but ${index} is missing; run \`${rendererBuildCommand}\` in ${projectRoot}.`);
  return rendererDir;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
