/**
 * A running tunnel for one profile: the wiring. It opens the local listeners (transport/listener.ts)
 * and hands each connection to transport/connections.ts, with a PulsarSession (routing/) when it
 * inspects the protocol or to the WebProxy (web/) on the web port. The shells (CLI, web host,
 * Electron) start one with Tunnel.start and stop it with dispose(); they see what happens only
 * through the events it emits.
 */
import type net from 'node:net';
import { AppError } from '../../../shared/errors.ts';
import type { BrokerPort, DialTarget } from '../../../shared/model/endpoints.ts';
import { capEventStrings } from '../../../shared/model/eventBounds.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import { isLoopbackHost } from '../../../shared/model/profile.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { BrokerRegistry } from '../routing/brokerRegistry.ts';
import { PulsarSession } from '../routing/pulsarSession.ts';
import { Connections, type OpenConnection } from '../transport/connections.ts';
import { createDialer, type Dialer } from '../transport/dialer.ts';
import { listen, serverAddress } from '../transport/listener.ts';
import { ListenerGuard, type ListenerLimits } from '../transport/listenerGuard.ts';
import { WebProxy } from '../web/webProxy.ts';

export interface TunnelOptions {
  /** Receives every event. Called synchronously; must not throw or block. */
  onEvent: (event: TunnelEvent) => void;
  /** How long one side may stay open after the other closed or sent FIN. Default 10 s. */
  closeTimeoutMs?: number;
  /** Interval of `connection.progress` events for open connections; 0 (default): none. */
  progressIntervalMs?: number;
  /** Bounds on local clients (connection caps, header timeout, file reserve); see listenerGuard.ts. */
  limits?: Partial<ListenerLimits>;
}

/** What a listener stands for: the service (main port), one broker, or the web service. */
type Binding = { listener: 'pulsar' } | { listener: 'broker'; broker: DialTarget } | { listener: 'http' };

/** A running tunnel. */
export class Tunnel {
  readonly #config: TunnelConfig;
  readonly #options: TunnelOptions;
  readonly #dialer: Dialer;
  readonly #servers: net.Server[] = [];
  readonly #connections: Connections;
  readonly #registry: BrokerRegistry | undefined;
  readonly #web: WebProxy | undefined;
  readonly #guard: ListenerGuard;
  #disposed = false;
  #progressTimer: NodeJS.Timeout | undefined;
  #addresses: { pulsar: string; http?: string } = { pulsar: '' };

  private constructor(config: TunnelConfig, options: TunnelOptions) {
    this.#config = config;
    this.#options = options;
    this.#dialer = createDialer(config);
    this.#guard = new ListenerGuard({ emit: (event) => this.#emit(event), limits: options.limits });
    this.#connections = new Connections({
      profile: config.name,
      dialer: this.#dialer,
      guard: this.#guard,
      emit: (event) => this.#emit(event),
      closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
      stopped: () => this.#disposed,
    });
    if (config.pulsarProtocol === 'inspect') {
      this.#registry = new BrokerRegistry({
        openListener: async (broker) => {
          const server = await listen({
            host: config.listen.host,
            port: 0,
            field: 'listen.host',
            onConnection: this.#acceptor({ listener: 'broker', broker }),
            onAcceptError: (error) => this.#emit({ event: 'listener.error', listener: 'broker', error: error.toJSON() }),
            guard: { guard: this.#guard, kind: 'broker' },
          });
          // A lookup answered while the tunnel was stopping must not leave a listener behind.
          if (this.#disposed) {
            server.close();
            throw new AppError('TUNNEL_INTERNAL', 'The tunnel stopped while a broker port was opening.');
          }
          return server;
        },
        onNewBroker: (entry) => this.#emit({ event: 'pulsar.brokerPort', broker: entry.broker, sni: this.#dialer.route(entry.target).sni ?? '', local: entry.local }),
      });
    }
    if (config.web && config.listen.webPort !== undefined) {
      this.#web = new WebProxy({
        config,
        dialer: this.#dialer,
        emit: (event) => this.#emit(event),
        localWebUrl: () => `http://${this.#addresses.http ?? ''}`,
        brokerLocalUrl: (brokerUrl, brokerUrlTls) => this.brokerLocalUrl(brokerUrl, brokerUrlTls),
        // Other machines use a non-loopback listener by name; a loopback one answers loopback names only.
        anyHost: !isLoopbackHost(config.listen.host),
        listenHost: config.listen.host,
        headerTimeoutMs: this.#guard.limits.headerTimeoutMs,
        onRequest: (socket) => this.#guard.proven(socket),
        clusterAddresses: () => this.#clusterAddresses(),
      });
    }
  }

  /**
   * Opens the profile's listeners; resolves once all accept connections, after emitting `ready`.
   * @throws AppError TUNNEL_LISTEN_IN_USE / TUNNEL_LISTEN_FAILED, CERTIFICATE_INVALID
   */
  static async start(config: TunnelConfig, options: TunnelOptions): Promise<Tunnel> {
    const tunnel = new Tunnel(config, options);
    try {
      await tunnel.#listenAll();
    } catch (error) {
      await tunnel.dispose();
      throw error;
    }
    const interval = options.progressIntervalMs ?? 0;
    if (interval > 0) {
      tunnel.#progressTimer = setInterval(() => tunnel.#connections.reportProgress(), interval);
      tunnel.#progressTimer.unref();
    }
    options.onEvent({ event: 'ready', listen: { ...tunnel.#addresses } });
    return tunnel;
  }

  /** The local addresses, host:port. */
  get addresses(): { pulsar: string; http?: string } {
    return { ...this.#addresses };
  }

  get config(): TunnelConfig {
    return this.#config;
  }

  /** What a status view shows. */
  status(): { brokers: BrokerPort[]; openConnections: number; totalConnections: number } {
    const brokers = this.#registry?.list((target) => this.#dialer.route(target).sni) ?? [];
    return { brokers, openConnections: this.#connections.openCount, totalConnections: this.#connections.total };
  }

  /**
   * The local pulsar:// URL that stands for the broker a lookup named (its per-broker port, opened
   * on first sight), for rewriting HTTP-lookup answers. Undefined without protocol inspection
   * (raw mode has no per-broker ports) or when neither URL names a broker.
   * @throws AppError TUNNEL_LISTEN_FAILED when the broker's local listener cannot be opened,
   *   TUNNEL_BROKER_LIMIT when the tunnel already has the most brokers it opens
   */
  async brokerLocalUrl(brokerServiceUrl: string | undefined, brokerServiceUrlTls: string | undefined): Promise<string | undefined> {
    if (this.#disposed) return undefined;
    const entry = await this.#registry?.ensure(brokerServiceUrl, brokerServiceUrlTls);
    return entry?.localUrl;
  }

  /** Closes the listeners and every open connection; resolves when all are closed. Idempotent. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    clearInterval(this.#progressTimer);
    this.#web?.dispose();
    this.#guard.dispose();
    const servers = [...this.#servers, ...(this.#registry?.servers ?? [])];
    const closing = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    await Promise.all([...closing, this.#connections.closeAll()]);
  }

  async #listenAll(): Promise<void> {
    const { listen: where, web } = this.#config;
    const main = await listen({
      host: where.host,
      port: where.port,
      field: 'listen.port',
      onConnection: this.#acceptor({ listener: 'pulsar' }),
      onAcceptError: (error) => this.#emit({ event: 'listener.error', listener: 'pulsar', error: error.toJSON() }),
      guard: { guard: this.#guard, kind: 'pulsar' },
    });
    this.#servers.push(main);
    this.#addresses.pulsar = serverAddress(main);
    if (where.webPort !== undefined && web) {
      const http = await listen({
        host: where.host,
        port: where.webPort,
        field: 'listen.webPort',
        onConnection: (socket) => this.#acceptHttp(socket),
        onAcceptError: (error) => this.#emit({ event: 'listener.error', listener: 'http', error: error.toJSON() }),
        guard: { guard: this.#guard, kind: 'http' },
      });
      this.#servers.push(http);
      this.#addresses.http = serverAddress(http);
    }
  }

  /** The one exit of every event: strings a client or the cluster chose are capped here (shared/model/eventBounds.ts). */
  #emit(event: TunnelEvent): void {
    try {
      this.#options.onEvent(capEventStrings(event));
    } catch {
      // A faulty subscriber must not break the tunnel; the shells own their own error reporting.
    }
  }

  /**
   * What takes the connections of the main or a broker port: each is relayed, through a
   * PulsarSession when inspecting. Made once per listener (every connection keeps the session
   * factory until it closes, so it is one shared function rather than one per connection).
   */
  #acceptor(binding: Binding): (local: net.Socket) => void {
    const registry = this.#registry;
    const boundTo = binding.listener === 'broker' ? binding.broker : undefined;
    const session = registry
      ? (connection: OpenConnection) =>
          new PulsarSession({
            id: connection.id,
            config: this.#config,
            registry,
            boundTo,
            counters: connection.counters,
            // Through the connection: its events wait until connection.opened is out.
            emit: (event) => connection.emit(event),
          })
      : undefined;
    const target = this.#defaultTarget(binding);
    return (local) => this.#connections.relay(local, binding.listener, target, session);
  }

  /**
   * A web-listener connection: served by the WebProxy (HTTP requests, each logged as http.request),
   * logged as one opened/closed pair like any other local connection. Upstream connections are
   * pooled per web host, so they are not tied to this connection and have no events of their own.
   */
  #acceptHttp(local: net.Socket): void {
    const web = this.#web;
    if (!web) {
      local.destroy();
      return;
    }
    this.#connections.serve(local, 'http', this.#defaultTarget({ listener: 'http' }), (socket, id) => web.serve(socket, id));
  }

  /**
   * The addresses a redirect may take the credential to in direct mode, besides the web service's
   * and those HTTP-lookup answers named: the service address, each broker a binary lookup named,
   * and that broker's host at the web service's port (a binary lookup names no web port; a Pulsar
   * cluster's brokers share one webServicePortTls setting).
   */
  *#clusterAddresses(): Iterable<DialTarget> {
    yield this.#config.service;
    for (const broker of this.#registry?.targets() ?? []) {
      yield broker;
      if (this.#config.web) yield { host: broker.host, port: this.#config.web.port };
    }
  }

  /** The target a listener stands for before any protocol inspection. */
  #defaultTarget(binding: Binding): DialTarget {
    if (binding.listener === 'broker') return binding.broker;
    if (binding.listener === 'http') return this.#config.web!;
    return this.#config.service;
  }
}
