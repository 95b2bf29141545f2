/**
 * The desktop app's engine process: Electron's utilityProcess (a Node child that Electron starts,
 * sandbox-free, and ends with the app), running out/engine/engine.js (engineMain.ts). Its messages
 * are structured clones over the utility process's port.
 */
import { utilityProcess } from 'electron';
import { exitOnce, type EngineTransport, type FromEngine, type ToEngine } from '../core/service/engineProtocol.ts';
import { smallYoungGenerationFlag } from '../core/service/gcTuning.ts';

/** Forks the engine entry as a utility process; see {@link EngineTransport}. */
export function forkUtilityEngine(entryFile: string): EngineTransport {
  // The young generation small from the first allocation (gcTuning.ts): the engine's modules load before its code runs.
  const child = utilityProcess.fork(entryFile, [], { serviceName: 'pulsar-tunnel engine', stdio: 'inherit', execArgv: [smallYoungGenerationFlag] });
  const exit = exitOnce();
  child.once('exit', (code: number) => exit.ended(`exit code ${code}`));
  return {
    send: (message: ToEngine) => {
      if (exit.how !== undefined) throw new Error('the engine process is gone');
      child.postMessage(message);
    },
    onMessage: (listener) => child.on('message', (message: unknown) => listener(message as FromEngine)),
    onExit: exit.onExit,
    kill: () => {
      if (exit.how !== undefined) return;
      // At once, with SIGKILL: Electron's kill() sends SIGTERM, which a stopped process never acts on.
      if (child.pid === undefined) return void child.kill();
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Gone already; its exit is on its way.
      }
    },
  };
}
