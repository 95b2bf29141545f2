/**
 * Engine processes for remoteTunnels.ts, scripted in memory: each spawn() is one ScriptedEngine
 * that records what the shell sent it, and that a test makes say it is ready, answer a start, or
 * die.
 */
import type { TunnelEvent } from '../../../../shared/model/events.ts';
import type { TunnelConfig } from '../../../../src-main/core/config/tunnelConfig.ts';
import type { EngineTransport, FromEngine, ToEngine } from '../../../../src-main/core/service/engineProtocol.ts';
import type { RunningTunnel } from '../../../../src-main/core/service/ports.ts';
import type { RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually, withDeadline } from '../../../fixtures/deadline.ts';

export class ScriptedEngine implements EngineTransport {
  readonly sent: ToEngine[] = [];
  private readonly messageListeners: ((message: FromEngine) => void)[] = [];
  private readonly exitListeners: ((how: string) => void)[] = [];
  exited: string | undefined;
  /** Answers each ping on the next turn of the event loop, as a live engine does; off by default. */
  answersPings = false;

  send(message: ToEngine): void {
    if (this.exited !== undefined) throw new Error('the engine process is gone');
    this.sent.push(message);
    if (message.type === 'ping' && this.answersPings) setImmediate(() => this.exited === undefined && this.say({ type: 'pong' }));
  }
  onMessage(listener: (message: FromEngine) => void): void {
    this.messageListeners.push(listener);
  }
  onExit(listener: (how: string) => void): void {
    if (this.exited !== undefined) listener(this.exited);
    else this.exitListeners.push(listener);
  }
  kill(): void {
    this.exit('killed by SIGKILL');
  }

  /** It said it is ready. */
  saidReady = false;

  say(message: FromEngine): void {
    if (message.type === 'ready') this.saidReady = true;
    for (const listener of this.messageListeners) listener(message);
  }
  exit(how: string): void {
    if (this.exited !== undefined) return;
    this.exited = how;
    for (const listener of this.exitListeners) listener(how);
  }
  /** How many pings the shell sent it. */
  pings(): number {
    return this.sent.filter((message) => message.type === 'ping').length;
  }
  /** Says tunnel `tunnel`'s `event`, with an empty status. */
  event(event: TunnelEvent, tunnel = 1): void {
    this.say({ type: 'event', id: tunnel, event, status: { brokers: [], openConnections: 0, totalConnections: 0 } });
  }
  /** The ids of the tunnels the shell asked this engine to start. */
  starts(): number[] {
    return this.sent.flatMap((message) => (message.type === 'start' ? [message.id] : []));
  }
  /** Answers the start of tunnel `id` as started on `port`. */
  started(id: number, port: number): void {
    this.say({ type: 'started', id, addresses: { pulsar: `127.0.0.1:${port}` }, status: { brokers: [], openConnections: 0, totalConnections: 0 } });
  }
}

/** spawn() for remoteTunnels: every engine it made, newest last. */
export function scriptedSpawner(): { spawn: () => EngineTransport; engines: ScriptedEngine[] } {
  const engines: ScriptedEngine[] = [];
  return {
    engines,
    spawn: () => {
      const engine = new ScriptedEngine();
      engines.push(engine);
      return engine;
    },
  };
}

/** A `connection.opened` event of connection `id` on `listener`. */
export function openedEvent(id: number, listener: 'pulsar' | 'http' = 'pulsar'): TunnelEvent {
  return { event: 'connection.opened', id, time: new Date().toISOString(), profile: 'alpha', listener, local: '127.0.0.1:5555', sni: 'pulsar.example.test', proxy: 'proxy.example.test:4443' };
}

export function sampleConfig(name: string): TunnelConfig {
  return {
    name,
    service: { host: 'pulsar.example.test', port: 6651 },
    listen: { host: '127.0.0.1', port: 0 },
    tls: { verifyHostname: true, allowInsecure: false },
    auth: { kind: 'none' },
    pulsarProtocol: 'inspect',
    keepAliveIntervalSeconds: 20,
    connectionTimeoutMs: 10_000,
  };
}

/**
 * Starts tunnel `name` through `remote` in `engine` (saying it is ready first, if it has not) and
 * answers the start as done on `port`: the tunnel, and the events it is told from then on.
 */
export async function runningIn(remote: RemoteTunnels, engine: ScriptedEngine, name: string, port: number): Promise<{ tunnel: RunningTunnel; events: TunnelEvent[] }> {
  if (!engine.saidReady) engine.say({ type: 'ready' });
  const events: TunnelEvent[] = [];
  const before = engine.starts().length;
  const starting = remote.startTunnel(sampleConfig(name), { onEvent: (event) => events.push(event) });
  await eventually(() => engine.starts().length > before, { timeoutMs: 5_000, what: `the start of ${name} sent` });
  engine.started(engine.starts().at(-1)!, port);
  return { tunnel: await starting, events };
}

/** Why starting tunnel `name` through `remote` failed, within 10 s; undefined if it started. */
export async function startFailure(remote: RemoteTunnels, name: string): Promise<{ code?: string; message?: string } | undefined> {
  const outcome = remote.startTunnel(sampleConfig(name), { onEvent: () => undefined }).then(
    () => undefined,
    (failure: unknown) => failure as { code?: string; message?: string },
  );
  return withDeadline(outcome, 10_000, 'the start to fail');
}
