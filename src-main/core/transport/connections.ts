/**
 * Every local connection of one tunnel from accept to close, in one place: its id and byte counters,
 * the abort that cancels its set-up when the client leaves or the tunnel stops, `connection.opened` and
 * `connection.closed` (each exactly once), `connection.progress`, and closing them all. A relayed
 * connection is dialed and joined here; a protocol-aware session (routing's PulsarSession) plugs in
 * through the small ConnectionSession interface, so the transport never imports routing.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { AppError, isAppError } from '../../../shared/errors.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';
import type { ListenerKind, TlsSummary, TunnelEvent } from '../../../shared/model/events.ts';
import type { Dialer } from './dialer.ts';
import { closeGracefully, joinSockets, type ByteCounters, type StreamTransform } from './join.ts';
import type { ListenerGuard } from './listenerGuard.ts';

/** What a protocol-aware session gives the connection it rides on (implemented by routing's PulsarSession). */
export interface ConnectionSession {
  /** Client → broker bytes pass through this once joined. */
  readonly up: StreamTransform;
  /** Broker → client bytes pass through this once joined. */
  readonly down: StreamTransform;
  /**
   * Reads the client's opening bytes and decides where the connection goes.
   * @returns the target to dial and the bytes to send it first
   */
  begin(local: net.Socket, signal: AbortSignal): Promise<{ target: DialTarget; preamble?: Buffer }>;
  /** The broker side is up (timers that need it start now). */
  attach(remote: tls.TLSSocket): void;
  /** The answer that tells a client waiting for its session why it failed, if the protocol has one. */
  connectFailure(error: AppError): Buffer | undefined;
  dispose(): void;
}

/** Where a connection goes, decided before it is dialed. */
interface ConnectionPlan {
  target: DialTarget;
  /** Bytes already read from the local client (e.g. a CONNECT frame) to send first. */
  preamble?: Buffer;
  session?: ConnectionSession;
}

/** One open local connection. */
export interface OpenConnection {
  readonly id: number;
  readonly local: net.Socket;
  /** The client's address, `host:port`, read at accept (a socket closed early no longer knows it). */
  readonly from: string;
  /**
   * Emits an event of this connection. Until `connection.opened` is out (a session reads the
   * client's CONNECT, and logs it, before the connection knows where it goes) events wait, so the
   * log always shows a connection's opened first; at most the few a first frame causes.
   */
  emit(event: TunnelEvent): void;
  remote?: net.Socket;
  readonly counters: ByteCounters;
  /** The counters as the last connection.progress reported them. */
  readonly reported: ByteCounters;
  /**
   * Aborted when the client leaves or the tunnel stops while the connection is being set up (its
   * session reading the first bytes, its dial); once joined, closing its sockets is what ends it.
   */
  readonly signal: AbortSignal;
  readonly started: number;
  done: Promise<void>;
}

export interface ConnectionsOptions {
  /** Profile name, for connection.opened. */
  profile: string;
  dialer: Dialer;
  guard: ListenerGuard;
  emit: (event: TunnelEvent) => void;
  /** How long one side may stay open after the other closed or sent FIN. */
  closeTimeoutMs: number;
  /** True once the tunnel stops: new connections are refused, a finished dial is dropped. */
  stopped: () => boolean;
}

/** The signal of a joined connection, which nothing aborts any more. */
const joinedSignal = new AbortController().signal;

/**
 * An open connection as Connections keeps it: a class, so the thousand idle connections a tunnel
 * may hold share their methods instead of each holding closures of its own.
 */
class Connection implements OpenConnection {
  readonly id: number;
  readonly local: net.Socket;
  readonly from: string;
  remote?: net.Socket;
  readonly counters: ByteCounters;
  readonly reported: ByteCounters = { bytesUp: 0, bytesDown: 0 };
  /** Dropped once joined (see signal): an idle connection does not keep an AbortController. */
  #abort: AbortController | undefined = new AbortController();
  readonly started = performance.now();
  done: Promise<void> = Promise.resolve();
  /** Where events go once connection.opened is out. */
  readonly #emit: (event: TunnelEvent) => void;
  /** Events held until connection.opened is out; undefined from then on. */
  #waiting: TunnelEvent[] | undefined = [];

  constructor(id: number, local: net.Socket, counters: ByteCounters, emit: (event: TunnelEvent) => void) {
    this.id = id;
    this.local = local;
    this.counters = counters;
    this.from = formatHostPort({ host: local.remoteAddress ?? '?', port: local.remotePort ?? 0 });
    this.#emit = emit;
  }

  emit(event: TunnelEvent): void {
    if (this.#waiting) this.#waiting.push(event);
    else this.#emit(event);
  }

  /** connection.opened is out: the events held until now, in order; later ones go out at once. */
  release(): TunnelEvent[] {
    const waiting = this.#waiting ?? [];
    this.#waiting = undefined;
    return waiting;
  }

  get signal(): AbortSignal {
    return this.#abort?.signal ?? joinedSignal;
  }

  /** Cancels what the connection still waits for (its session's first bytes, its dial). */
  readonly cancel = (): void => this.#abort?.abort();

  /** The sockets are joined: nothing is left to cancel. */
  joined(): void {
    this.#abort = undefined;
  }
}

/** The open connections of one tunnel. */
export class Connections {
  readonly #options: ConnectionsOptions;
  readonly #open = new Map<number, Connection>();
  #nextId = 1;
  #total = 0;

  constructor(options: ConnectionsOptions) {
    this.#options = options;
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** Connections accepted since the start. */
  get total(): number {
    return this.#total;
  }

  /**
   * Relays a local connection: planned (at once to `target`, or by a session reading the client's
   * first bytes), dialed, joined, closed.
   * @param session makes the session for a protocol-aware connection; absent: bytes only
   */
  relay(local: net.Socket, listener: ListenerKind, target: DialTarget, session?: (connection: OpenConnection) => ConnectionSession): void {
    const connection = this.#accept(local, { bytesUp: 0, bytesDown: 0 });
    if (!connection) return;
    // Until the join takes over, a local error (a reset while we dial) must not crash anything.
    local.on('error', connection.cancel);
    local.on('close', connection.cancel);
    connection.done = this.#run(connection, listener, target, session);
  }

  /**
   * A connection whose socket another server reads and writes itself (the web listener's HTTP
   * server): opened now, closed when the socket closes, with the error `serve` reports last. Its
   * counters are the socket's own (live, for connection.progress).
   */
  serve(local: net.Socket, listener: ListenerKind, target: DialTarget, serve: (local: net.Socket, id: number) => { lastError(): AppError | undefined }): void {
    const counters: ByteCounters = {
      get bytesUp() {
        return local.bytesRead;
      },
      get bytesDown() {
        return local.bytesWritten;
      },
    };
    const connection = this.#accept(local, counters);
    if (!connection) return;
    this.#opened(connection, listener, target);
    const served = serve(local, connection.id);
    connection.done = new Promise<void>((resolve) => {
      local.once('close', () => {
        this.#closed(connection, { error: served.lastError() });
        resolve();
      });
    });
  }

  /** Emits connection.progress for every open connection whose counters moved. */
  reportProgress(): void {
    for (const connection of this.#open.values()) {
      const { counters, reported } = connection;
      if (counters.bytesUp === reported.bytesUp && counters.bytesDown === reported.bytesDown) continue;
      reported.bytesUp = counters.bytesUp;
      reported.bytesDown = counters.bytesDown;
      this.#options.emit({ event: 'connection.progress', id: connection.id, bytesUp: counters.bytesUp, bytesDown: counters.bytesDown });
    }
  }

  /** Aborts and destroys every open connection; resolves when each has emitted connection.closed. */
  async closeAll(): Promise<void> {
    const open = [...this.#open.values()];
    for (const connection of open) {
      connection.cancel();
      connection.local.destroy();
      connection.remote?.destroy();
    }
    await Promise.all(open.map((connection) => connection.done));
  }

  #accept(local: net.Socket, counters: ByteCounters): Connection | undefined {
    if (this.#options.stopped()) {
      local.destroy();
      return undefined;
    }
    const id = this.#nextId++;
    this.#total++;
    local.setNoDelay(true);
    const connection = new Connection(id, local, counters, this.#options.emit);
    this.#open.set(id, connection);
    return connection;
  }

  #opened(connection: Connection, listener: ListenerKind, target: DialTarget): void {
    const route = this.#options.dialer.route(target);
    this.#options.emit({
      event: 'connection.opened',
      id: connection.id,
      time: new Date().toISOString(),
      profile: this.#options.profile,
      listener,
      local: connection.from,
      sni: route.sni ?? '',
      proxy: route.dialed,
    });
    for (const event of connection.release()) this.#options.emit(event);
  }

  #closed(connection: Connection, closing: { tls?: TlsSummary; error?: AppError }): void {
    const { id, counters, started } = connection;
    const { tls } = closing;
    // Closed by the listener's cap: that is why, whatever the aborted dial or session said.
    const error = this.#options.guard.closedToMakeRoom(connection.local) ?? closing.error;
    this.#open.delete(id);
    this.#options.emit({
      event: 'connection.closed',
      id,
      bytesUp: counters.bytesUp,
      bytesDown: counters.bytesDown,
      durationMs: Math.round(performance.now() - started),
      ...(tls ? { tls } : {}),
      ...(error ? { error: error.toJSON() } : {}),
    });
  }

  /** Where the connection goes: at once without a session, after the session read the client's first bytes with one. */
  async #plan(connection: OpenConnection, target: DialTarget, createSession: ((connection: OpenConnection) => ConnectionSession) | undefined): Promise<ConnectionPlan> {
    if (!createSession) return { target };
    const session = createSession(connection);
    try {
      const begun = await session.begin(connection.local, connection.signal);
      return { ...begun, session };
    } catch (error) {
      this.#tellClient(connection, session, error);
      session.dispose();
      throw error;
    }
  }

  /** Answers a client's CONNECT that cannot be served with an ERROR saying why, before closing. */
  #tellClient(connection: OpenConnection, session: ConnectionSession, failure: unknown): void {
    if (connection.local.destroyed) return;
    const answer = this.#connectFailureAnswer(connection, session, failure);
    if (answer) connection.local.write(answer);
  }

  /** The ERROR for a CONNECT not answered yet (nothing sent to the client so far), counted as sent. */
  #connectFailureAnswer(connection: OpenConnection, session: ConnectionSession | undefined, failure: unknown): Buffer | undefined {
    if (!session || !isAppError(failure) || connection.counters.bytesDown > 0) return undefined;
    const answer = session.connectFailure(failure);
    if (answer) connection.counters.bytesDown += answer.length;
    return answer;
  }

  async #run(connection: Connection, listener: ListenerKind, target: DialTarget, createSession: ((connection: OpenConnection) => ConnectionSession) | undefined): Promise<void> {
    const { id, local, counters } = connection;
    const { dialer, guard } = this.#options;
    let tls: TlsSummary | undefined;
    let error: AppError | undefined;
    let plan: ConnectionPlan | undefined;
    try {
      plan = await this.#plan(connection, target, createSession);
      const { session } = plan;
      // A valid CONNECT proves a real client (kept at the connection cap); raw mode: its first byte.
      if (session) guard.proven(local);
      this.#opened(connection, listener, plan.target);
      const dialed = await dialer.dial(plan.target, connection.signal);
      tls = dialed.tls;
      connection.remote = dialed.socket;
      if (local.destroyed || this.#options.stopped()) {
        dialed.socket.destroy();
      } else {
        this.#options.emit({ event: 'connection.secured', id, tls, handshakeMs: Math.round(performance.now() - connection.started) });
      }
      session?.attach(dialed.socket);
      const joined = joinSockets({
        local,
        remote: dialed.socket,
        up: session?.up,
        down: session?.down,
        counters,
        closeTimeoutMs: this.#options.closeTimeoutMs,
        sni: dialed.sni,
        preamble: plan.preamble,
        clientCertificate: dialed.clientCertificate,
        // A broker that refuses the connection after the handshake (a rejected client certificate)
        // leaves the client's CONNECT unanswered: it gets the ERROR a failed dial would have got.
        farewell: (failure) => this.#connectFailureAnswer(connection, session, failure),
      });
      // Written by now; the preamble and the abort need not live as long as the connection.
      plan.preamble = undefined;
      connection.joined();
      local.resume();
      if (!session) local.once('data', () => guard.proven(local));
      error = (await joined).error;
    } catch (failure) {
      if (!plan) this.#opened(connection, listener, target);
      else if (plan.session && !connection.signal.aborted) this.#tellClient(connection, plan.session, failure);
      closeGracefully(local);
      // A dial cancelled because the local client left or the tunnel stopped is not an error.
      if (!connection.signal.aborted || (isAppError(failure) && failure.code !== 'TUNNEL_INTERNAL')) {
        error = isAppError(failure) ? failure : new AppError('TUNNEL_INTERNAL', String(failure), { cause: failure });
      }
    } finally {
      plan?.session?.dispose();
    }
    this.#closed(connection, { tls, error });
  }
}
