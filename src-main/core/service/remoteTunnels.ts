/**
 * Runs the tunnels in an engine process of their own, behind the app service's TunnelStarter, so
 * the shell's event loop (the UI's HTTP/WebSocket API, Electron's IPC, tray and windows) never
 * waits on the data path: the shell answers every API call itself, from the store and from
 * status snapshots the engine sends with each event.
 *
 * An engine that dies is reported and restarted without restarting the app: each of its tunnels
 * gets a `listener.error` event with ENGINE_CRASHED (the app service shows it as the tunnel's
 * last error and turns it "failing"), and is started again in the new engine on the same local
 * ports; one the new engine cannot bring back has ended, and its owner is told (`onEnded`: the
 * app shows it stopped, so Start starts it). A start that was in flight is sent to the new
 * engine too; if that engine dies as well before the tunnel is up, the start fails with
 * ENGINE_CRASHED. Repeated crashes back off (0.2 s doubling to 10 s; an engine that ran a minute
 * starts over at once). The connections open in it are closed in the log with ENGINE_CRASHED; a
 * tunnel stopped while no engine runs it is forgotten, not started again; a token goes only to
 * the engine that asked for it; and what an engine says after its exit was handled is dropped.
 * An engine that could not even be spawned counts as one that died. An engine that does not
 * answer a stop within the stop timeout is presumed stuck and ended, so the stop is true (the
 * tunnel may still be listening in it), and its other tunnels come back as after a crash; so is
 * one that stops answering the shell's pings (see engineLaunch.ts).
 *
 * An engine that dies before it is ready three times in a row (a missing or broken build, a
 * runtime that cannot start it) is not started again on its own: the starts waiting for it fail
 * with ENGINE_CRASHED saying so, the running tunnels end (`onEnded`), and the next start tries
 * three more times, so a start never waits for ever on an engine that cannot come up. Once the
 * app shuts down, the starts waiting for an engine fail at once, so quitting never waits for
 * one.
 */
import { AppError } from '../../../shared/errors.ts';
import type { SerializedError } from '../../../shared/errors.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { EngineConnections } from './connectionNumbers.ts';
import { launchEngine, type Engine, type EngineExit } from './engineLaunch.ts';
import type { EngineTransport, FromEngine, PlainTunnelConfig, TunnelSnapshot } from './engineProtocol.ts';
import type { RunningTunnel, TunnelStarter } from './ports.ts';
import { keptPorts } from './runSettings.ts';
import { serializeError } from './serializeError.ts';

export interface RemoteTunnelsOptions {
  /** Starts one engine process. */
  spawn: () => EngineTransport;
  /** How long an engine may take to say it is ready before it counts as crashed; 30 s by default. */
  readyTimeoutMs?: number;
  /** How often the engine is pinged once ready; 5 s by default. */
  pingIntervalMs?: number;
  /** How long an engine that was ready may stay silent (no answer to pings, no message) before it is ended as stuck; 20 s by default. */
  pingTimeoutMs?: number;
  /** How long stopping a tunnel may take before the engine is presumed stuck; 10 s by default. */
  stopTimeoutMs?: number;
  /**
   * The command that builds the engine's files again (e.g. `npm run build:cli`), named when the
   * engine cannot start; absent (an installed app), the advice is to install the app again.
   */
  buildCommand?: string;
  /** Told each time the engine could not start (see below), for the app's output. */
  onCannotStart?: (error: AppError) => void;
}

/** The engine process as the shell holds it. */
export interface RemoteTunnels {
  /** The app service's TunnelStarter over the engine process. */
  startTunnel: TunnelStarter;
  /** How many times the engine was restarted after dying. */
  readonly restarts: number;
  /** Resolves once an engine is up (the first one, or the one after a restart). */
  whenReady(): Promise<void>;
  /**
   * The app is shutting down: starts waiting for an engine that is not ready fail at once (with
   * the shutting-down error), and so do later starts; running tunnels can still be stopped.
   */
  shutDown(): void;
  /** Ends the engine process (after the app service stopped its tunnels); shuts down first. */
  dispose(): Promise<void>;
}

/** Engines in a row that die before they are ready, after which no more are started on their own. */
const earlyDeathLimit = 3;

interface Entry {
  id: number;
  config: TunnelConfig;
  onEvent: (event: TunnelEvent) => void;
  onEnded?: (error: SerializedError) => void;
  progressIntervalMs?: number;
  addresses: RunningTunnel['addresses'];
  status: TunnelSnapshot;
  /** The first start's outcome, while it is pending. */
  starting?: { resolve: () => void; reject: (error: AppError) => void };
  /** The start was in flight when an engine died, and was sent to the next one. */
  startResent?: boolean;
  /** A stop in flight. */
  stopping?: () => void;
  /** The engine last sent this tunnel's start: the tunnel runs only there, and only while that engine is the current one. */
  sentTo?: Engine;
  /** Its connections as its events told them, numbered on across engines. */
  connections: EngineConnections;
}

const emptyStatus = (): TunnelSnapshot => ({ brokers: [], openConnections: 0, totalConnections: 0 });

function plainConfig(config: TunnelConfig): PlainTunnelConfig {
  return { ...config, auth: { kind: config.auth.kind } as PlainTunnelConfig['auth'] };
}

/** Starts the first engine process at once. */
export function createRemoteTunnels(options: RemoteTunnelsOptions): RemoteTunnels {
  const entries = new Map<number, Entry>();
  let nextId = 0;
  let restarts = 0;
  let backoffMs = 200;
  let upSince = 0;
  let disposed = false;
  /** Set by shutDown(); `shutdown` resolves then, waking the starts that wait for an engine. */
  let shuttingDown = false;
  let wake!: () => void;
  const shutdown = new Promise<void>((resolve) => (wake = resolve));
  const shuttingDownError = () => new AppError('TUNNEL_INTERNAL', 'The app is shutting down.');
  let restartTimer: NodeJS.Timeout | undefined;
  /** Engines in a row that died before they were ready. */
  let earlyDeaths = 0;
  /** Set once {@link earlyDeathLimit} engines in a row died before they were ready; no restart is scheduled then. */
  let gaveUp: AppError | undefined;
  /** How many times that happened. */
  let giveUps = 0;
  const timings = { readyTimeoutMs: options.readyTimeoutMs ?? 30_000, pingIntervalMs: options.pingIntervalMs ?? 5_000, pingTimeoutMs: options.pingTimeoutMs ?? 20_000 };
  let engine = launch();

  function launch(): Engine {
    return launchEngine(options.spawn, timings, {
      message: onMessage,
      ready: () => {
        upSince = Date.now();
        earlyDeaths = 0;
      },
      exit: (ended, exit) => {
        if (!disposed && ended === engine) crashed(exit);
      },
    });
  }

  /** A message of the engine `from`. */
  function onMessage(message: Exclude<FromEngine, { type: 'ready' | 'pong' }>, from: Engine): void {
    const entry = entries.get(message.id);
    if (!entry) return;
    switch (message.type) {
      case 'started':
        entry.addresses = message.addresses;
        entry.status = message.status;
        entry.starting?.resolve();
        entry.starting = undefined;
        break;
      case 'failed':
        entries.delete(entry.id);
        // A stop sent while the start was under way: there is nothing left to stop.
        entry.stopping?.();
        if (entry.starting) entry.starting.reject(new AppError(message.error.code, message.error.message));
        // A tunnel that could not come back after a restart says why, and has ended.
        else ended(entry, { code: message.error.code, message: `This tunnel could not come back after the engine restarted and is stopped: start it again. ${message.error.message}` });
        break;
      case 'event':
        entry.status = message.status;
        entry.onEvent(entry.connections.observe(message.event));
        break;
      case 'stopped':
        entries.delete(entry.id);
        entry.stopping?.();
        break;
      case 'token':
        void answerToken(entry, message.requestId, from);
        break;
      default:
        break;
    }
  }

  /** A running tunnel that nothing runs any more: forgotten, its log and its owner told why. */
  function ended(entry: Entry, error: SerializedError): void {
    entries.delete(entry.id);
    entry.status = { ...emptyStatus(), totalConnections: entry.status.totalConnections };
    entry.onEvent({ event: 'listener.error', listener: 'pulsar', error });
    entry.onEnded?.(error);
  }

  /**
   * Answers the token request `requestId` of the engine `asker`, and only that engine: request
   * numbers start over in each engine, so an answer sent to the engine that replaced it could
   * answer another profile's request there.
   */
  async function answerToken(entry: Entry, requestId: number, asker: Engine): Promise<void> {
    const { auth } = entry.config;
    let answer: Parameters<EngineTransport['send']>[0];
    try {
      if (auth.kind !== 'token') throw new AppError('TUNNEL_INTERNAL', 'The engine asked for a token for a profile without one.');
      answer = { type: 'token', requestId, ok: true, token: await auth.getToken() };
    } catch (error) {
      const failure: SerializedError = serializeError(error);
      answer = { type: 'token', requestId, ok: false, error: failure };
    }
    if (asker.gone) return;
    try {
      asker.transport.send(answer);
    } catch {
      // It died meanwhile; nobody is waiting for the answer.
    }
  }

  function send(message: Parameters<EngineTransport['send']>[0]): void {
    try {
      engine.transport.send(message);
    } catch {
      // The engine is gone; its exit handler reports it and restarts it.
    }
  }

  /** The current engine is gone, as `exit` says. */
  function crashed({ what, how, up }: EngineExit): void {
    /** Why the engine could not start, with what to do first; the starts waiting and the running tunnels end it differently. */
    let cannotStart: string | undefined;
    if (!up && (earlyDeaths += 1) >= earlyDeathLimit) {
      const fix = options.buildCommand === undefined ? "the app's files are incomplete: install it again" : `build it again (${options.buildCommand})`;
      cannotStart = `The tunnel engine could not start: it ${what}, ${earlyDeaths} times in a row. Its own error is in the app's output (the terminal it was started from, if any); if that names a missing file, ${fix}`;
      gaveUp = new AppError('ENGINE_CRASHED', `${cannotStart}, then start the tunnel again.`);
      giveUps += 1;
      options.onCannotStart?.(gaveUp);
    }
    // The connections open in it are gone with it; the log says so (the engine never will).
    const lostWith = { code: 'ENGINE_CRASHED' as const, message: `The tunnel engine ${what} while this connection was open.` };
    for (const entry of entries.values()) for (const event of entry.connections.lost(lostWith)) entry.onEvent(event);
    for (const entry of [...entries.values()]) {
      if (entry.starting && (entry.startResent || gaveUp)) {
        entries.delete(entry.id);
        entry.starting.reject(gaveUp ?? new AppError('ENGINE_CRASHED', `The tunnel engine stopped unexpectedly while this tunnel was starting, and so did the engine started in its place (${how}); the tunnel was not started. Start it again, and report it with the app's output if it happens again.`));
      } else if (entry.starting) {
        // Sent again to the next engine (below), once: a start that kills every engine fails on the second.
        entry.startResent = true;
      } else if (entry.stopping) {
        entries.delete(entry.id);
        entry.stopping();
      } else if (cannotStart !== undefined) {
        // No engine will bring it back on its own: it has ended, and a start tries the engine again.
        ended(entry, { code: 'ENGINE_CRASHED', message: `${cannotStart}. This tunnel is stopped: start it again.` });
      } else {
        entry.status = { ...emptyStatus(), totalConnections: entry.status.totalConnections };
        // Said before the next engine starts, which may yet fail to bring the tunnel back (its own error follows then).
        const message = `The tunnel engine ${what}; it is being restarted, and this tunnel will come back on the same local port.`;
        entry.onEvent({ event: 'listener.error', listener: 'pulsar', error: { code: 'ENGINE_CRASHED', message } });
      }
    }
    if (gaveUp) return;
    const delay = Date.now() - upSince > 60_000 ? 0 : backoffMs;
    backoffMs = delay === 0 ? 200 : Math.min(backoffMs * 2, 10_000);
    restarts += 1;
    restartTimer = setTimeout(() => {
      if (!disposed) relaunch();
    }, delay);
  }

  /** A new engine, which starts the tunnels of the one that died once it is ready. */
  function relaunch(): void {
    const next = launch();
    engine = next;
    void next.ready.then(() => {
      // Back on the ports the clients already use (a port-0 profile got its port at the first start).
      for (const entry of entries.values()) {
        entry.sentTo = next;
        send({ type: 'start', id: entry.id, config: plainConfig(keptPorts(entry.config, entry.addresses)), progressIntervalMs: entry.progressIntervalMs });
      }
    }, () => undefined);
  }

  async function currentEngine(): Promise<Engine> {
    // A caller fails on the first give-up after it came: one round of engines for all who wait together.
    const seen = giveUps;
    for (;;) {
      if (shuttingDown) throw shuttingDownError();
      const current = engine;
      if (!current.gone) {
        try {
          await Promise.race([current.ready, shutdown]);
        } catch {
          // It died while starting; the restart replaces it.
          continue;
        }
        // Woken by the shutdown: the loop's first line fails the caller.
        if (shuttingDown) continue;
        return current;
      }
      if (gaveUp) {
        // Engines kept dying before they were ready: this caller tries once more, then says why.
        if (giveUps > seen) throw gaveUp;
        gaveUp = undefined;
        earlyDeaths = 0;
        // As quick as the first round: the back-off does not go on from where the last round left it.
        backoffMs = 200;
        relaunch();
        continue;
      }
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 20)), shutdown]);
    }
  }

  function shutDown(): void {
    if (shuttingDown) return;
    shuttingDown = true;
    wake();
    // Starts sent again after a crash wait for the next engine to be ready: they end now too.
    for (const entry of [...entries.values()]) {
      if (!entry.starting || (entry.sentTo === engine && engine.up && !engine.gone)) continue;
      entries.delete(entry.id);
      entry.starting.reject(shuttingDownError());
    }
  }

  const startTunnel: TunnelStarter = async (config, tunnelOptions) => {
    await currentEngine();
    const id = (nextId += 1);
    const entry: Entry = {
      id,
      config,
      onEvent: tunnelOptions.onEvent,
      onEnded: tunnelOptions.onEnded,
      progressIntervalMs: tunnelOptions.progressIntervalMs,
      addresses: { pulsar: '' },
      status: emptyStatus(),
      connections: new EngineConnections(),
    };
    entries.set(id, entry);
    await new Promise<void>((resolve, reject) => {
      entry.starting = { resolve, reject };
      entry.sentTo = engine;
      send({ type: 'start', id, config: plainConfig(config), progressIntervalMs: tunnelOptions.progressIntervalMs });
    });
    return {
      get addresses() {
        return { ...entry.addresses };
      },
      status: () => entry.status,
      dispose: async () => {
        if (!entries.has(id)) return;
        if (entry.sentTo !== engine || engine.gone) {
          // Its engine died and the next one has not started it yet: nothing runs it, and forgotten now, the next one never will.
          entries.delete(id);
          return;
        }
        const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
        const runner = engine;
        let timer: NodeJS.Timeout | undefined;
        const answered = await Promise.race([
          new Promise<boolean>((resolve) => {
            entry.stopping = () => resolve(true);
            send({ type: 'stop', id });
          }),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), stopTimeoutMs))),
        ]);
        clearTimeout(timer);
        entries.delete(id);
        if (answered) return;
        // Presumed stuck, and the tunnel perhaps still listening in it: it is ended, so the stop is
        // true, and its other tunnels come back in the next engine as after a crash. This tunnel's
        // connections end with it, and the engine will never say so.
        const why = `did not answer a stop within ${stopTimeoutMs / 1000} s`;
        for (const event of entry.connections.lost({ code: 'ENGINE_CRASHED', message: `The tunnel engine ${why} and was ended while this connection was open.` })) entry.onEvent(event);
        await runner.end(why);
      },
    };
  };

  return {
    startTunnel,
    get restarts() {
      return restarts;
    },
    whenReady: async () => void (await currentEngine()),
    shutDown,
    async dispose() {
      if (disposed) return;
      shutDown();
      disposed = true;
      clearTimeout(restartTimer);
      const current = engine;
      if (current.gone) return;
      const exited = new Promise<void>((resolve) => current.transport.onExit(() => resolve()));
      current.transport.kill();
      await exited;
    },
  };
}
