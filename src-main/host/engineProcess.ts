/**
 * The engine as a Node child process: the shell forks the CLI's own entry point with the hidden
 * `engine` command (so the engine runs exactly the way the CLI runs, from sources or a build), and
 * the two talk over Node's IPC channel.
 */
import { fork } from 'node:child_process';
import { exitOnce, type EngineEndpoint, type EngineTransport, type FromEngine, type ToEngine } from '../core/service/engineProtocol.ts';

/**
 * Forks `entry` (the CLI's entry script) with `engine`; the child shares this process's stderr
 * (its diagnostics) but not its stdin or stdout.
 */
export function forkEngine(entry: string, env: NodeJS.ProcessEnv = process.env): EngineTransport {
  const child = fork(entry, ['engine'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env, serialization: 'advanced' });
  const exit = exitOnce();
  child.once('exit', (code, signal) => exit.ended(signal ? `killed by ${signal}` : `exit code ${code}`));
  // A process that could not be spawned (EMFILE, EAGAIN: no descriptor or process left) has no pid
  // and never emits 'exit'; it ended all the same. Other errors (a failed send: the channel closed)
  // are followed by 'exit', which reports the crash.
  child.on('error', (error) => {
    if (child.pid === undefined) exit.ended(`could not be started: ${error.message}`);
  });
  return {
    send: (message: ToEngine) => {
      if (child.connected) child.send(message);
      else throw new Error('the engine process is gone');
    },
    onMessage: (listener) => child.on('message', (message) => listener(message as FromEngine)),
    onExit: exit.onExit,
    kill: () => {
      if (exit.how === undefined) child.kill('SIGKILL');
    },
  };
}

/** The child's side: this process's IPC channel to the shell that forked it. */
export function parentEndpoint(): EngineEndpoint {
  if (!process.send) throw new Error('the engine must be started by pulsar-tunnel ui (no IPC channel)');
  return {
    send: (message: FromEngine) => {
      if (process.connected) process.send!(message);
    },
    onMessage: (listener) => process.on('message', (message) => listener(message as ToEngine)),
    onDisconnect: (listener) => process.once('disconnect', listener),
  };
}
