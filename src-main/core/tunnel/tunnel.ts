/**
 * A running tunnel for one profile: its local listeners and every connection through them. The
 * shells (CLI, web host, Electron) start one with Tunnel.start and stop it with dispose(); they see
 * what happens only through the events it emits.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { ListenerKind, TlsSummary, TunnelEvent } from '../../../shared/model/events.ts';
import type { BrokerPort } from '../../../shared/model/endpoints.ts';
import { isLoopbackHost } from '../../../shared/model/profile.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { createDialer, type Dialer } from '../transport/dialer.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';
import { closeGracefully, joinSockets, type ByteCounters, type StreamTransform } from '../transport/join.ts';
import { listen, serverAddress } from '../transport/listener.ts';
import { ListenerGuard, type ListenerLimits } from '../transport/listenerGuard.ts';
import { BrokerRegistry } from '../routing/brokerRegistry.ts';
import { PulsarSession } from '../routing/pulsarSession.ts';
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

/** Per-connection hooks that protocol awareness (Pulsar inspection) plugs into. */
export interface ConnectionPlan {
  target: DialTarget;
  up?: StreamTransform;
  down?: StreamTransform;
  /** Bytes already read from the local client (e.g. a CONNECT frame) to send first. */
  preamble?: Buffer;
  session?: PulsarSession;
}

/** What a listener stands for: the service (main port), one broker, or the web service. */
type Binding = { listener: 'pulsar' } | { listener: 'broker'; broker: DialTarget } | { listener: 'http' };

interface OpenConnection {
  id: number;
  local: net.Socket;
  remote?: net.Socket;
  counters: ByteCounters;
  reported: ByteCounters;
  abort: AbortController;
  done: Promise<void>;
}

/** A running tunnel. */
export class Tunnel {
  readonly #config: TunnelConfig;
  readonly #options: TunnelOptions;
  readonly #dialer: Dialer;
  readonly #servers: net.Server[] = [];
  readonly #open = new Map<number, OpenConnection>();
  readonly #registry: BrokerRegistry | undefined;
  readonly #web: WebProxy | undefined;
  readonly #guard: ListenerGuard;
  #nextId = 1;
  #total = 0;
  #disposed = false;
  #progressTimer: NodeJS.Timeout | undefined;
  #addresses: { pulsar: string; http?: string } = { pulsar: '' };

  private constructor(config: TunnelConfig, options: TunnelOptions) {
    this.#config = config;
    this.#options = options;
    this.#dialer = createDialer(config);
    this.#guard = new ListenerGuard({ emit: (event) => this.#emit(event), limits: options.limits });
    if (config.pulsarProtocol === 'inspect') {
      this.#registry = new BrokerRegistry({
        openListener: async (broker) => {
          const server = await listen({
            host: config.listen.host,
            port: 0,
            field: 'listen.host',
            onConnection: (socket) => this.#accept(socket, { listener: 'broker', broker }),
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
        clusterHosts: () => [config.service.host, ...(this.#registry?.hosts() ?? [])],
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
      tunnel.#progressTimer = setInterval(() => tunnel.#reportProgress(), interval);
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
    return { brokers, openConnections: this.#open.size, totalConnections: this.#total };
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
    for (const connection of this.#open.values()) {
      connection.abort.abort();
      connection.local.destroy();
      connection.remote?.destroy();
    }
    await Promise.all([...closing, ...[...this.#open.values()].map((connection) => connection.done)]);
  }

  async #listenAll(): Promise<void> {
    const { listen: where, web } = this.#config;
    const main = await listen({
      host: where.host,
      port: where.port,
      field: 'listen.port',
      onConnection: (socket) => this.#accept(socket, { listener: 'pulsar' }),
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

  #emit(event: TunnelEvent): void {
    try {
      this.#options.onEvent(event);
    } catch {
      // A faulty subscriber must not break the tunnel; the shells own their own error reporting.
    }
  }

  #accept(local: net.Socket, binding: Binding): void {
    if (this.#disposed) {
      local.destroy();
      return;
    }
    const id = this.#nextId++;
    this.#total++;
    const started = performance.now();
    const counters: ByteCounters = { bytesUp: 0, bytesDown: 0 };
    const abort = new AbortController();
    // Until the join takes over, a local error (a reset while we dial) must not crash anything.
    local.on('error', () => abort.abort());
    local.once('close', () => abort.abort());
    local.setNoDelay(true);
    const connection: OpenConnection = { id, local, counters, reported: { bytesUp: 0, bytesDown: 0 }, abort, done: Promise.resolve() };
    this.#open.set(id, connection);
    connection.done = this.#run(connection, binding, started).finally(() => this.#open.delete(id));
  }

  /**
   * A web-listener connection: served by the WebProxy (HTTP requests, each logged as http.request),
   * logged as one opened/closed pair like any other local connection. Upstream connections are
   * pooled per web host, so they are not tied to this connection and have no events of their own.
   */
  #acceptHttp(local: net.Socket): void {
    const web = this.#web;
    if (this.#disposed || !web) {
      local.destroy();
      return;
    }
    const id = this.#nextId++;
    this.#total++;
    const started = performance.now();
    // The HTTP server reads and writes the socket itself, so the counters are the socket's own
    // (live, for connection.progress).
    const counters: ByteCounters = {
      get bytesUp() {
        return local.bytesRead;
      },
      get bytesDown() {
        return local.bytesWritten;
      },
    };
    const abort = new AbortController();
    local.setNoDelay(true);
    const connection: OpenConnection = { id, local, counters, reported: { bytesUp: 0, bytesDown: 0 }, abort, done: Promise.resolve() };
    this.#open.set(id, connection);
    this.#opened(connection, 'http', this.#defaultTarget({ listener: 'http' }));
    const served = web.serve(local, id);
    connection.done = new Promise<void>((resolve) => {
      local.once('close', () => {
        const error = served.lastError();
        this.#open.delete(id);
        this.#emit({
          event: 'connection.closed',
          id,
          bytesUp: counters.bytesUp,
          bytesDown: counters.bytesDown,
          durationMs: Math.round(performance.now() - started),
          ...(error ? { error: error.toJSON() } : {}),
        });
        resolve();
      });
    });
  }

  /** The target a listener stands for before any protocol inspection. */
  #defaultTarget(binding: Binding): DialTarget {
    if (binding.listener === 'broker') return binding.broker;
    if (binding.listener === 'http') return this.#config.web!;
    return this.#config.service;
  }

  /** Decides where a connection goes: at once in raw mode, after the client's CONNECT when inspecting. */
  async #plan(connection: OpenConnection, binding: Binding): Promise<ConnectionPlan> {
    const target = this.#defaultTarget(binding);
    if (!this.#registry || binding.listener === 'http') return { target };
    const session = new PulsarSession({
      id: connection.id,
      config: this.#config,
      registry: this.#registry,
      boundTo: binding.listener === 'broker' ? binding.broker : undefined,
      counters: connection.counters,
      emit: (event) => this.#emit(event),
    });
    try {
      const begun = await session.begin(connection.local, connection.abort.signal);
      return { ...begun, up: session.up, down: session.down, session };
    } catch (error) {
      this.#tellClient(connection, session, error);
      session.dispose();
      throw error;
    }
  }

  /** Answers a client's CONNECT that cannot be served with an ERROR saying why, before closing. */
  #tellClient(connection: OpenConnection, session: PulsarSession, failure: unknown): void {
    if (connection.local.destroyed) return;
    const answer = this.#connectFailureAnswer(connection, session, failure);
    if (answer) connection.local.write(answer);
  }

  /** The ERROR for a CONNECT not answered yet (nothing sent to the client so far), counted as sent. */
  #connectFailureAnswer(connection: OpenConnection, session: PulsarSession | undefined, failure: unknown): Buffer | undefined {
    if (!session || !isAppError(failure) || connection.counters.bytesDown > 0) return undefined;
    const answer = session.connectFailure(failure);
    if (answer) connection.counters.bytesDown += answer.length;
    return answer;
  }

  #opened(connection: OpenConnection, listener: ListenerKind, target: DialTarget): void {
    const route = this.#dialer.route(target);
    const { local } = connection;
    this.#emit({
      event: 'connection.opened',
      id: connection.id,
      time: new Date().toISOString(),
      profile: this.#config.name,
      listener,
      local: formatHostPort({ host: local.remoteAddress ?? '?', port: local.remotePort ?? 0 }),
      sni: route.sni ?? '',
      proxy: route.dialed,
    });
  }

  async #run(connection: OpenConnection, binding: Binding, started: number): Promise<void> {
    const { id, local, counters } = connection;
    let tls: TlsSummary | undefined;
    let error: AppError | undefined;
    let plan: ConnectionPlan | undefined;
    try {
      plan = await this.#plan(connection, binding);
      // A valid CONNECT proves a real client (kept at the connection cap); raw mode: its first byte.
      if (plan.session) this.#guard.proven(local);
      this.#opened(connection, binding.listener, plan.target);
      const dialed = await this.#dialer.dial(plan.target, connection.abort.signal);
      tls = dialed.tls;
      connection.remote = dialed.socket;
      if (local.destroyed || this.#disposed) {
        dialed.socket.destroy();
      } else {
        this.#emit({ event: 'connection.secured', id, tls, handshakeMs: Math.round(performance.now() - started) });
      }
      plan.session?.attach(dialed.socket);
      const joined = joinSockets({
        local,
        remote: dialed.socket,
        up: plan.up,
        down: plan.down,
        counters,
        closeTimeoutMs: this.#options.closeTimeoutMs ?? 10_000,
        sni: dialed.sni,
        preamble: plan.preamble,
        clientCertificate: dialed.clientCertificate,
        // A broker that refuses the connection after the handshake (a rejected client certificate)
        // leaves the client's CONNECT unanswered: it gets the ERROR a failed dial would have got.
        farewell: (failure) => this.#connectFailureAnswer(connection, plan?.session, failure),
      });
      local.resume();
      if (!plan.session) local.once('data', () => this.#guard.proven(local));
      error = (await joined).error;
    } catch (failure) {
      if (!plan) this.#opened(connection, binding.listener, this.#defaultTarget(binding));
      else if (plan.session && !connection.abort.signal.aborted) this.#tellClient(connection, plan.session, failure);
      closeGracefully(local);
      // A dial cancelled because the local client left or the tunnel stopped is not an error.
      if (!connection.abort.signal.aborted || (isAppError(failure) && failure.code !== 'TUNNEL_INTERNAL')) {
        error = isAppError(failure) ? failure : new AppError('TUNNEL_INTERNAL', String(failure), { cause: failure });
      }
    } finally {
      plan?.session?.dispose();
    }
    this.#emit({
      event: 'connection.closed',
      id,
      bytesUp: counters.bytesUp,
      bytesDown: counters.bytesDown,
      durationMs: Math.round(performance.now() - started),
      ...(tls ? { tls } : {}),
      ...(error ? { error: error.toJSON() } : {}),
    });
  }

  #reportProgress(): void {
    for (const connection of this.#open.values()) {
      const { counters, reported } = connection;
      if (counters.bytesUp === reported.bytesUp && counters.bytesDown === reported.bytesDown) continue;
      reported.bytesUp = counters.bytesUp;
      reported.bytesDown = counters.bytesDown;
      this.#emit({ event: 'connection.progress', id: connection.id, bytesUp: counters.bytesUp, bytesDown: counters.bytesDown });
    }
  }
}
