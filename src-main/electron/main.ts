/**
 * The Electron main process entry (bundled to out/main/index.js by `npm run build:main`). It only
 * locates the built files and starts the desktop app over the shared app service.
 */
import { app } from 'electron';
import { fileURLToPath } from 'node:url';
import { createAppService } from '../core/app/createAppService.ts';
import { startDesktopApp } from './desktopApp.ts';

// Paths relative to the bundle in out/main/: the renderer and preload builds sit next to it.
const pageFile = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
const preloadFile = fileURLToPath(new URL('../preload/preload.cjs', import.meta.url));

startDesktopApp({ createService: () => createAppService(), pageFile, preloadFile }).catch((error: unknown) => {
  console.error('pulsar-tunnel: the app could not start:', error);
  app.exit(1);
});
