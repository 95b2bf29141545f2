/**
 * The messages between a shell (the `pulsar-tunnel ui` web host, the Electron main process) and the
 * engine process that runs its tunnels (see remoteTunnels.ts and tunnelHost.ts). The split is at
 * the TunnelStarter: the shell keeps the app service, the profile store and the keychain, and
 * answers every API call itself; the engine process runs only the data path. Plain data: messages
 * cross Node's IPC channel or Electron's MessagePort as structured clones.
 */
import type { SerializedError } from '../../../shared/errors.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import type { RunningTunnel } from './ports.ts';

/**
 * A TunnelConfig without functions: the token is not copied into the engine; the engine asks the
 * shell for it each time it needs it (so a rotated token is picked up, and the keychain is read
 * only by the shell).
 */
export type PlainTunnelConfig = Omit<TunnelConfig, 'auth'> & { auth: { kind: 'none' } | { kind: 'token' } | { kind: 'tls' } };

export type TunnelSnapshot = ReturnType<RunningTunnel['status']>;

/** Shell → engine. */
export type ToEngine =
  | { type: 'start'; id: number; config: PlainTunnelConfig; progressIntervalMs?: number }
  | { type: 'stop'; id: number }
  /** Answered with a pong from the engine's event loop: the shell's liveness check (engineLaunch.ts). */
  | { type: 'ping' }
  | { type: 'token'; requestId: number; ok: true; token: string }
  | { type: 'token'; requestId: number; ok: false; error: SerializedError };

/** Engine → shell. */
export type FromEngine =
  | { type: 'ready' }
  | { type: 'started'; id: number; addresses: RunningTunnel['addresses']; status: TunnelSnapshot }
  | { type: 'failed'; id: number; error: SerializedError }
  | { type: 'event'; id: number; event: TunnelEvent; status: TunnelSnapshot }
  | { type: 'stopped'; id: number }
  | { type: 'pong' }
  | { type: 'token'; id: number; requestId: number };

/** One engine process as the shell sees it: Node's child_process, Electron's utilityProcess. */
export interface EngineTransport {
  send(message: ToEngine): void;
  onMessage(listener: (message: FromEngine) => void): void;
  /** Called once when the process is gone, with how it ended (exit code or signal). */
  onExit(listener: (how: string) => void): void;
  /** Ends the process at once. */
  kill(): void;
}

/**
 * The exit bookkeeping of an {@link EngineTransport}: `ended(how)` records the first way the
 * process ended and tells every listener; `onExit` tells a listener at once once it has ended.
 */
export function exitOnce(): { ended(how: string): void; readonly how: string | undefined; onExit: EngineTransport['onExit'] } {
  const listeners: ((how: string) => void)[] = [];
  let exited: string | undefined;
  return {
    ended(how) {
      if (exited !== undefined) return;
      exited = how;
      for (const listener of listeners) listener(how);
    },
    get how() {
      return exited;
    },
    onExit(listener) {
      if (exited !== undefined) listener(exited);
      else listeners.push(listener);
    },
  };
}

/** The engine's side of the channel. */
export interface EngineEndpoint {
  send(message: FromEngine): void;
  onMessage(listener: (message: ToEngine) => void): void;
  /** The shell is gone: the engine closes its tunnels and exits. */
  onDisconnect(listener: () => void): void;
}
