/**
 * One engine process as remoteTunnels.ts supervises it: spawned (a spawn that throws is an engine
 * that ended at once), given a time to say it is ready, then pinged while it runs, and ended by the
 * shell when it is presumed stuck (not ready in time, not answering pings, not answering a stop).
 * Its exit then says why the shell ended it instead of the signal it was ended with.
 *
 * The liveness check is one timer per engine, unref'd: every `pingIntervalMs` the shell sends a
 * ping, which the engine answers from its event loop; any message from the engine counts as an
 * answer. An engine that said nothing for `pingTimeoutMs` (its event loop hung, or the process is
 * stopped) is ended. A data path that is merely busy answers within a turn of its event loop, far
 * below that: measured while a tunnel moved 4 GiB (two downloads and two uploads at once, through
 * ATS, on a 2-core machine at load 6), the engine answered pings in 1.7 ms (median), 104 ms at
 * most. A shell whose own timer came late (its event loop was busy, the machine slept) gives the
 * engine a fresh allowance, since the engine's answers may be waiting unread.
 */
import { AppError } from '../../../shared/errors.ts';
import type { EngineTransport, FromEngine } from './engineProtocol.ts';

export interface EngineTimings {
  /** How long it may take to say it is ready. */
  readyTimeoutMs: number;
  /** How often it is pinged once ready. */
  pingIntervalMs: number;
  /** How long it may stay silent once ready before it is ended. */
  pingTimeoutMs: number;
}

/** How an engine ended: `what` it did ("stopped unexpectedly (exit code 1)"), `how` in a few words ("exit code 1"); `up`: it had said it was ready. */
export interface EngineExit {
  what: string;
  how: string;
  up: boolean;
}

export interface Engine {
  transport: EngineTransport;
  /** Resolves when it says it is ready; rejects (ENGINE_CRASHED) if it is gone first. */
  ready: Promise<void>;
  /** It said it is ready. */
  up: boolean;
  gone: boolean;
  /** Resolves once it is gone. */
  exited: Promise<void>;
  /**
   * Ends it, presumed stuck: `why` it was ended ("did not answer a stop within 10 s"), said as its
   * exit; resolves once it is gone.
   */
  end(why: string): Promise<void>;
}

export interface EngineHandlers {
  /** A message other than ready or a ping's answer, read before its exit was handled. */
  message(message: Exclude<FromEngine, { type: 'ready' | 'pong' }>, from: Engine): void;
  ready(engine: Engine): void;
  exit(engine: Engine, exit: EngineExit): void;
}

/** An engine whose spawn threw: gone at once, said on the next turn of the event loop as a real exit is. */
function unspawned(error: unknown): EngineTransport {
  const how = `could not be started: ${error instanceof Error ? error.message : String(error)}`;
  return {
    send: () => {
      throw new Error('the engine process could not be started');
    },
    onMessage: () => undefined,
    onExit: (listener) => void setImmediate(() => listener(how)),
    kill: () => undefined,
  };
}

/** Starts one engine process. */
export function launchEngine(spawn: () => EngineTransport, timings: EngineTimings, on: EngineHandlers): Engine {
  let transport: EngineTransport;
  try {
    transport = spawn();
  } catch (error) {
    // An engine that died before it was ready, not an exception that ends the app (this runs in a timer).
    transport = unspawned(error);
  }
  let markReady!: () => void;
  let failReady!: (error: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => undefined);
  let markExited!: () => void;
  const exited = new Promise<void>((resolve) => (markExited = resolve));
  /** Why the shell ended it, if it did. */
  let endedFor: string | undefined;
  let pinger: NodeJS.Timeout | undefined;
  const launched: Engine = {
    transport,
    ready,
    up: false,
    gone: false,
    exited,
    end(why) {
      if (!launched.gone && endedFor === undefined) {
        endedFor = why;
        transport.kill();
      }
      return exited;
    },
  };
  const readyTimer = setTimeout(() => void launched.end(`was not ready within ${timings.readyTimeoutMs / 1000} s`), timings.readyTimeoutMs);
  readyTimer.unref();
  let heard = Date.now();

  function watch(): void {
    let ticked = Date.now();
    pinger = setInterval(() => {
      const now = Date.now();
      // This process's own timer came late: the engine's answers may be waiting unread.
      if (now - ticked > 2 * timings.pingIntervalMs) heard = now;
      ticked = now;
      if (now - heard >= timings.pingTimeoutMs) {
        void launched.end(`did not answer for ${timings.pingTimeoutMs / 1000} s`);
        return;
      }
      try {
        transport.send({ type: 'ping' });
      } catch {
        // Gone: its exit is being reported.
      }
    }, timings.pingIntervalMs);
    pinger.unref();
  }

  transport.onMessage((message) => {
    // Read after its exit was handled (Node may report the exit first): the exit already said what became of its tunnels.
    if (launched.gone) return;
    heard = Date.now();
    if (message.type === 'pong') return;
    if (message.type !== 'ready') return on.message(message, launched);
    // Said once; another would start a second ping timer.
    if (launched.up) return;
    clearTimeout(readyTimer);
    launched.up = true;
    watch();
    markReady();
    on.ready(launched);
  });
  transport.onExit((exit) => {
    clearTimeout(readyTimer);
    clearInterval(pinger);
    launched.gone = true;
    // Ended by the shell: say why, not the signal it was ended with.
    const how = endedFor?.replace(/^was /, '') ?? exit;
    const what = endedFor !== undefined ? `${endedFor} and was ended` : launched.up ? `stopped unexpectedly (${exit})` : `stopped (${exit}) before it was ready`;
    failReady(new AppError('ENGINE_CRASHED', `The tunnel engine ${what}.`));
    markExited();
    on.exit(launched, { what, how, up: launched.up });
  });
  return launched;
}
