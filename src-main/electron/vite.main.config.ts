/**
 * Builds the Electron main process (out/main/index.js, ESM), its engine process (out/engine/engine.js,
 * ESM, run as a utility process) and the preload (out/preload/preload.cjs, CommonJS: a sandboxed
 * preload cannot be an ES module). Run as `npm run build:main`, which calls Vite three times, with
 * `--mode main`, `--mode engine` and `--mode preload`. The npm packages the app runs (zod, ws,
 * protobufjs) are bundled in, so the packaged app carries no node_modules but keytar's native
 * module (electron.config.ts); Node built-ins, electron and keytar stay external.
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
const external = ['electron', 'keytar', /^node:/, ...builtinModules];

export default defineConfig(({ mode }) => {
  const target = mode === 'preload' ? 'preload' : mode === 'engine' ? 'engine' : 'main';
  const inputs = { main: 'src-main/electron/main.ts', engine: 'src-main/electron/engineMain.ts', preload: 'src-main/preload/preload.ts' };
  return {
    root,
    publicDir: false,
    logLevel: 'warn',
    // Bundle every npm package but the external ones (Vite's SSR build leaves them out by default).
    ssr: { noExternal: true, external: ['electron', 'keytar'] },
    build: {
      target: 'node20',
      ssr: true,
      outDir: `out/${target}`,
      emptyOutDir: true,
      minify: false,
      sourcemap: true,
      rollupOptions: {
        input: inputs[target],
        external,
        output:
          target !== 'preload'
            ? { format: 'es', entryFileNames: target === 'main' ? 'index.js' : 'engine.js' }
            : // The preload must be one self-contained CommonJS file: the sandbox has no module loader.
              { format: 'cjs', entryFileNames: 'preload.cjs' },
      },
    },
  };
});
