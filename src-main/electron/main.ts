/**
 * The Electron main process entry (bundled to out/main/index.js by `npm run build:main`). It only
 * locates the built files and starts the desktop app over the shared app service, whose tunnels run
 * in the engine utility process (out/engine/engine.js).
 */
import { app } from 'electron';
import { fileURLToPath } from 'node:url';
import { createAppService } from '../core/service/createAppService.ts';
import { startDesktopApp } from './desktopApp.ts';
import { forkUtilityEngine } from './utilityEngine.ts';

// Paths relative to the bundle in out/main/: the renderer and preload builds sit next to it.
const pageFile = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
const preloadFile = fileURLToPath(new URL('../preload/preload.cjs', import.meta.url));
const engineFile = fileURLToPath(new URL('../engine/engine.js', import.meta.url));

// The tunnels run in a utility process, so IPC, the tray and the windows never wait on the data path.
const engine = {
  // out/engine/engine.js comes from `npm run build:main` in a checkout; an installed app has no build to run.
  ...(app.isPackaged ? {} : { buildCommand: 'npm run build:main' }),
  onCannotStart: (error: Error) => console.error(`pulsar-tunnel: ${error.message}`),
};
startDesktopApp({ createService: () => createAppService({ spawnEngine: () => forkUtilityEngine(engineFile), engine }), pageFile, preloadFile }).catch((error: unknown) => {
  console.error('pulsar-tunnel: the app could not start:', error);
  app.exit(1);
});
