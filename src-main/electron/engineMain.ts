/**
 * The entry of the desktop app's engine process (bundled to out/engine/engine.js by
 * `npm run build:main`), started by utilityEngine.ts as an Electron utility process: it runs the
 * tunnels the main process starts, over the utility process's parent port. Plain Node otherwise:
 * it never imports electron.
 */
import type { EngineEndpoint, FromEngine, ToEngine } from '../core/service/engineProtocol.ts';
import { lowerEnginePriority } from '../core/service/enginePriority.ts';
import { serveTunnels } from '../core/service/tunnelHost.ts';
import { tuneGcForStreaming } from '../core/service/gcTuning.ts';

/** The parent port of an Electron utility process (process.parentPort). */
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const port = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!port) {
  console.error('pulsar-tunnel: the engine runs only as the desktop app\'s utility process.');
  process.exit(2);
}
const endpoint: EngineEndpoint = {
  send: (message: FromEngine) => port.postMessage(message),
  onMessage: (listener) => port.on('message', (event) => listener(event.data as ToEngine)),
  // Electron ends its utility processes with the app; there is no disconnect to wait for.
  onDisconnect: () => undefined,
};
lowerEnginePriority();
tuneGcForStreaming();
void serveTunnels(endpoint);
