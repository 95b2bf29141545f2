/**
 * Helpers for the engine's black-box tests: an in-process Tunnel with its events collected, and
 * plain local clients that talk through it.
 */
import net from 'node:net';
import type { TunnelEvent } from '../../shared/model/events.ts';
import type { TunnelConfig } from '../../src-main/core/config/tunnelConfig.ts';
import { Tunnel, type TunnelOptions } from '../../src-main/core/tunnel/tunnel.ts';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import type { SniRouter } from '../fixtures/sniRouters.ts';

export interface TestTunnel {
  tunnel: Tunnel;
  events: TunnelEvent[];
  /** host and port of the main listener. */
  host: string;
  port: number;
  /** Resolves with the first event (already seen or future) that matches. */
  waitForEvent<E extends TunnelEvent>(predicate: (event: TunnelEvent) => event is E, timeoutMs?: number): Promise<E>;
  waitForEvent(predicate: (event: TunnelEvent) => boolean, timeoutMs?: number): Promise<TunnelEvent>;
  /** The closed event of connection `id`. */
  closed(id: number, timeoutMs?: number): Promise<Extract<TunnelEvent, { event: 'connection.closed' }>>;
  dispose(): Promise<void>;
}

/** A TunnelConfig for tests: through `router` (when given) to `serviceHost`, trusting `caPem`. */
export function testConfig(options: { serviceHost: string; servicePort?: number; router?: SniRouter; caPem?: string; overrides?: Partial<TunnelConfig> }): TunnelConfig {
  return {
    name: 'test',
    service: { host: options.serviceHost, port: options.servicePort ?? 6651 },
    proxy: options.router ? { host: options.router.host, port: options.router.port } : undefined,
    listen: { host: '127.0.0.1', port: 0 },
    tls: { caPem: options.caPem, verifyHostname: true, allowInsecure: false },
    auth: { kind: 'none' },
    pulsarProtocol: 'raw',
    keepAliveIntervalSeconds: 0,
    connectionTimeoutMs: 5_000,
    ...options.overrides,
  };
}

/** Starts an in-process tunnel and records its events. */
export async function startTestTunnel(config: TunnelConfig, options: Omit<TunnelOptions, 'onEvent'> = {}): Promise<TestTunnel> {
  const events: TunnelEvent[] = [];
  const waiters = new Set<() => void>();
  const tunnel = await Tunnel.start(config, {
    ...options,
    onEvent: (event) => {
      events.push(event);
      for (const waiter of [...waiters]) waiter();
    },
  });
  const [host, portText] = splitAddress(tunnel.addresses.pulsar);
  function waitForEvent(predicate: (event: TunnelEvent) => boolean, timeoutMs = 10_000): Promise<TunnelEvent> {
    const found = events.find(predicate);
    if (found) return Promise.resolve(found);
    let check: () => void = () => undefined;
    const promise = new Promise<TunnelEvent>((resolve) => {
      check = () => {
        const match = events.find(predicate);
        if (match) {
          waiters.delete(check);
          resolve(match);
        }
      };
      waiters.add(check);
    });
    return withDeadline(promise, timeoutMs, 'a tunnel event').finally(() => waiters.delete(check));
  }
  return {
    tunnel,
    events,
    host,
    port: Number(portText),
    waitForEvent: waitForEvent as TestTunnel['waitForEvent'],
    closed: (id, timeoutMs) =>
      waitForEvent((event) => event.event === 'connection.closed' && event.id === id, timeoutMs) as Promise<Extract<TunnelEvent, { event: 'connection.closed' }>>,
    dispose: () => tunnel.dispose(),
  };
}

/** Splits "host:port" or "[v6]:port". */
export function splitAddress(address: string): [string, string] {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!match) throw new Error(`not an address: ${address}`);
  return [match[1]!, match[2]!];
}

/** Opens a plain TCP connection to the tunnel (half-open allowed, like a real client library). */
export async function connectLocal(host: string, port: number): Promise<net.Socket> {
  const socket = net.connect({ host, port, allowHalfOpen: true });
  await once(socket, 'connect', 5_000);
  return socket;
}

/** The id of the newest connection.opened event, once there are `count` of them. */
export async function openedId(test: TestTunnel, count: number): Promise<number> {
  return eventually(
    () => {
      const opened = test.events.filter((event) => event.event === 'connection.opened');
      return opened.length >= count ? (opened[count - 1] as { id: number }).id : undefined;
    },
    { timeoutMs: 10_000, what: `connection.opened #${count}` },
  );
}
