// The renderer build: the Svelte UI in src-renderer, emitted to out/renderer with relative URLs so
// the same files load from file:// (Electron) and from the web host. The production page carries a
// strict Content-Security-Policy: no inline scripts, no eval, connections to its own origin only.
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { contentSecurityPolicy } from './shared/csp.ts';
import { recordBeside, writeInputsManifest } from './scripts/buildInputs.mjs';

/**
 * The CSP for the built page. 'self' covers ws:// to the same host (CSP Level 3), which is how the
 * web host streams the log. Svelte's `style:` directives write through CSSOM, which CSP allows.
 */
export { contentSecurityPolicy };

/** Adds the CSP meta tag to the built page only: Vite's dev server injects inline styles. */
function cspMeta(): Plugin {
  return {
    name: 'pulsar-tunnel-csp',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy }, injectTo: 'head-prepend' }],
    },
  };
}

/**
 * Beside the build (out/renderer.inputs.json for out/renderer), the files it was made from with their
 * times and sizes (scripts/buildInputs.mjs): every module in the bundle (ours, the packages', the page)
 * and the config with what it imports. bin/start.mjs and the web host (src-main/host/rendererBuild.ts)
 * build again when any of them changed, so a checkout never serves a UI older than its sources.
 * The previous record goes when a build starts, and the new one is written once every file of the
 * build is (writeBundle): a build that fails or is stopped half-way leaves none, so the next start
 * builds again. (closeBundle also runs after a failed build, with only the config read so far.)
 */
function recordBuildInputs(): Plugin {
  let root = '';
  let outDir = '';
  let startedAt = 0;
  const extra: string[] = [];
  return {
    name: 'pulsar-tunnel-build-inputs',
    apply: 'build',
    configResolved(config) {
      root = resolve(config.root, '..');
      outDir = resolve(config.root, config.build.outDir);
      extra.push(...(config.configFile ? [config.configFile] : []), ...config.configFileDependencies);
      // Vite's TypeScript transform reads the compiler options of the nearest tsconfig.json (this
      // one for src-renderer and shared): useDefineForClassFields alone changes every chunk.
      extra.push(resolve(root, 'tsconfig.json'));
    },
    buildStart() {
      startedAt = Date.now();
      // Before anything in outDir is replaced: until this build has written all of it, none is current.
      rmSync(recordBeside(outDir), { force: true });
    },
    writeBundle() {
      // Module ids are file paths, some with a query (?svelte&type=style) or virtual (\0...).
      const inputs = [...this.getModuleIds()].filter((id) => !id.startsWith('\0')).map((id) => id.split('?')[0]!);
      const files = [...inputs, ...extra].map((file) => resolve(root, file)).filter((file) => existsSync(file));
      writeInputsManifest(recordBeside(outDir), root, files, startedAt);
    },
  };
}

export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [svelte(), cspMeta(), recordBuildInputs()],
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    // Keeps the module-preload polyfill out: Electron and current Chromium support modulepreload.
    modulePreload: { polyfill: false },
    // No inline assets in script form; small assets may still be data: URLs (allowed by img-src).
    target: 'es2022',
  },
});
