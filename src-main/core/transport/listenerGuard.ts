/**
 * Bounds on what local clients can take from a tunnel, shared by all its listeners: a cap on open
 * connections per listener (at the cap the oldest connection that has not yet shown it is a real
 * client makes room for the newcomer, as nginx and Envoy shed idle connections first), and a reserve of file descriptors kept free so that connections already
 * accepted can still dial their broker.
 *
 * Why the file-descriptor check is ours: when accept(2) fails with EMFILE, libuv closes its spare
 * descriptor, accepts and closes every pending connection, and tells Node nothing (its "EMFILE
 * trick", uv__emfile_trick in src/unix/stream.c), so net.Server emits no error and clients are
 * dropped without a word in the log. Counting our own descriptors before the limit is reached lets
 * the tunnel act itself, say so (`listener.error` TUNNEL_FILE_LIMIT), and keep room for the
 * connections it serves: as at the connection cap, the oldest connection that has not shown it is a
 * real client is closed to make room for the newcomer (so idle sockets that reconnect cannot lock
 * real clients out), and the newcomer is closed only when every open one has proven itself.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { AppError } from '../../../shared/errors.ts';
import type { ListenerKind, TunnelEvent } from '../../../shared/model/events.ts';

/** The tunnel's bounds on local clients; tests pass small values. */
export interface ListenerLimits {
  /** Most connections open at once on each Pulsar listener (the service port and each broker port). */
  maxPulsarConnections: number;
  /** Most connections open at once on the web listener (admin tools need a few; browsers open 6). */
  maxHttpConnections: number;
  /** A web-listener client must send a whole request head within this long (Node's default is 60 s). */
  headerTimeoutMs: number;
  /**
   * The process's limit on open files; read from the system when absent, and on Linux read again as
   * descriptors are counted, so a limit lowered while running (`prlimit --pid`) is seen (undefined
   * where it cannot be read: the check is then off).
   */
  fileLimit?: number;
  /**
   * Descriptors kept free below `fileLimit` for what admitted connections still open (a broker
   * dial is already counted per connection; this covers DNS, token files, the upstream pool); by
   * default 1% of the limit, at least 8. The web listener gives way at four times this.
   */
  fileReserve?: number;
}

/** How long a web-listener client has to send a whole request head by default (README, "Limits"). */
export const defaultHeaderTimeoutMs = 20_000;

export const defaultListenerLimits: ListenerLimits = {
  maxPulsarConnections: 1024,
  maxHttpConnections: 128,
  headerTimeoutMs: defaultHeaderTimeoutMs,
};

/** Reports of refused connections are at most this often per listener (the first one at once). */
const reportIntervalMs = 1_000;
/** Near the limit the descriptors are counted at most this often; in between, refusal stands. */
const measureIntervalMs = 5;
/** Far from the limit the estimate is checked against a real count at least this often. */
const recountIntervalMs = 250;
/**
 * Counting costs time in proportion to the descriptors open (listing /dev/fd took 13 ms with 3,000
 * open on a loaded 2-core machine): the intervals above grow so that counting takes at most a
 * tenth of the time near the limit and a fiftieth far from it.
 */
const nearCostFactor = 10;
const farCostFactor = 50;
/**
 * ...but never longer than these: while counts are apart, a refusal stands even if descriptors
 * came back, and one count slowed by a busy machine must not shut the listeners for seconds.
 */
const nearIntervalCapMs = 50;
const farIntervalCapMs = 1_000;
/** How much earlier than the Pulsar listeners the web listener stops admitting (in reserves). */
const httpReserveFactor = 4;

/**
 * The soft limit on open files (RLIMIT_NOFILE) of this process, which Node raises to the hard limit
 * at start. Linux: /proc/self/limits; other POSIX systems: `ulimit -n` of a child shell, which
 * inherits the limit. Undefined on Windows, for "unlimited", or when it cannot be read.
 */
export function readFileLimit(): number | undefined {
  try {
    if (process.platform === 'linux') {
      const line = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
      return line !== undefined && /^\d+$/.test(line) ? Number(line) : undefined;
    }
    if (process.platform === 'win32') return undefined;
    const text = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2_000 }).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Open descriptors of this process (/dev/fd lists them on Linux and macOS), minus the listing's own. */
export function countOpenFiles(): number | undefined {
  try {
    return readdirSync('/dev/fd').length - 1;
  } catch {
    return undefined;
  }
}

interface Refusals {
  count: number;
  /** Open connections closed to make room (listener.full only). */
  evicted: number;
  reportedAt: number;
  timer?: NodeJS.Timeout;
}

/** One listener's open connections, oldest first; `unproven` those that have not shown they are real clients. */
interface Pool {
  listener: ListenerKind;
  address: string;
  limit: number;
  open: Set<net.Socket>;
  unproven: Set<net.Socket>;
}

/** One per tunnel; `dispose()` drops pending reports. */
export class ListenerGuard {
  readonly #limits: ListenerLimits;
  readonly #emit: (event: TunnelEvent) => void;
  #fileLimit: number | undefined;
  /** Descriptors in use as last counted, plus two for each connection admitted since. */
  #estimate = 0;
  #measuredAt = -Infinity;
  /** How long the last count took. */
  #countCostMs = 0;
  readonly #refusals = new Map<string, Refusals>();
  /** Each capped listener's connections, by its address. */
  readonly #pools = new Map<string, Pool>();
  readonly #poolOf = new WeakMap<net.Socket, Pool>();
  /** Every watched listener's unproven connections, oldest first (the file limit is one for all listeners). */
  readonly #unproven = new Map<net.Socket, ListenerKind>();
  /** Connections closed to make room (at a listener's cap or the file limit), and the error their connection.closed carries. */
  readonly #madeRoom = new WeakMap<net.Socket, AppError>();

  readonly #countOpenFiles: () => number | undefined;
  readonly #now: () => number;
  /** Forgets a closed connection (`this` is its socket): one listener for all of them. */
  readonly #forget: (this: net.Socket) => void;

  /**
   * `countOpenFiles` stands in for the real count in unit tests, `now` for the clock (milliseconds,
   * `performance.now` by default) that spaces the counts, so a test measures the spacing without
   * depending on the machine's load.
   */
  constructor(options: { emit: (event: TunnelEvent) => void; limits?: Partial<ListenerLimits>; countOpenFiles?: () => number | undefined; now?: () => number }) {
    this.#limits = { ...defaultListenerLimits, ...options.limits };
    this.#emit = options.emit;
    this.#countOpenFiles = options.countOpenFiles ?? countOpenFiles;
    this.#now = options.now ?? (() => performance.now());
    this.#fileLimit = this.#limits.fileLimit ?? readFileLimit();
    const pools = this.#poolOf;
    const unproven = this.#unproven;
    this.#forget = function forget(this: net.Socket) {
      const pool = pools.get(this);
      pool?.open.delete(this);
      pool?.unproven.delete(this);
      unproven.delete(this);
    };
  }

  get limits(): ListenerLimits {
    return this.#limits;
  }

  /** The connection cap of a kind of listener. */
  maxConnections(listener: ListenerKind): number {
    return listener === 'http' ? this.#limits.maxHttpConnections : this.#limits.maxPulsarConnections;
  }

  /**
   * Caps a listener's connections (counted by `admit`, keyed by `address`). Call once the listener
   * is bound, before it accepts.
   */
  watch(server: net.Server, listener: ListenerKind, address: string): void {
    this.#pools.set(address, { listener, address, limit: this.maxConnections(listener), open: new Set(), unproven: new Set() });
    server.once('close', () => this.#pools.delete(address));
  }

  /**
   * A connection has shown it is a real client (a Pulsar CONNECT, its first byte in raw mode, a
   * whole HTTP request head): from now on it is never closed to make room for a newcomer.
   */
  proven(socket: net.Socket): void {
    this.#poolOf.get(socket)?.unproven.delete(socket);
    this.#unproven.delete(socket);
  }

  /**
   * The cap: below it, admit. At it, close the oldest connection that has not proven itself yet and
   * admit the newcomer (so a flood of idle or half-sent connections cannot lock real clients out:
   * each idle one only lives until the next newcomer needs its place, or its own timer); when every
   * open connection has proven itself, close the newcomer. Both are reported as `listener.full`.
   */
  #withinCap(socket: net.Socket, address: string): boolean {
    const pool = this.#pools.get(address);
    if (!pool) return true;
    if (pool.open.size >= pool.limit) {
      const oldest = pool.unproven.values().next();
      if (oldest.done) {
        socket.destroy();
        this.#reportFull(pool, false);
        return false;
      }
      this.#evict(oldest.value, this.#evictionError(pool));
      this.#reportFull(pool, true);
    }
    pool.open.add(socket);
    pool.unproven.add(socket);
    this.#unproven.set(socket, pool.listener);
    this.#poolOf.set(socket, pool);
    socket.on('close', this.#forget); // 'close' comes once; `on` spares once()'s wrapper
    return true;
  }

  /**
   * Closes an unproven connection to make room, forgetting it at once (its descriptor is closed
   * now); `why` is what its own connection.closed says (see closedToMakeRoom).
   */
  #evict(socket: net.Socket, why: AppError): void {
    this.#madeRoom.set(socket, why);
    const pool = this.#poolOf.get(socket);
    pool?.unproven.delete(socket);
    pool?.open.delete(socket);
    this.#unproven.delete(socket);
    socket.destroy();
  }

  /**
   * At the file limit, the oldest unproven connection a newcomer on `listener` may take the place
   * of: any listener's for a Pulsar newcomer; only the web listener's for a web newcomer (the web
   * listener gives way first, it must not take the Pulsar listeners' room).
   */
  #oldestUnproven(listener: ListenerKind): net.Socket | undefined {
    for (const [socket, kind] of this.#unproven) {
      if (listener !== 'http' || kind === 'http') return socket;
    }
    return undefined;
  }

  /**
   * Why a connection was closed by the tunnel to make room (at its listener's cap:
   * TUNNEL_CONNECTION_LIMIT; at the file limit: TUNNEL_FILE_LIMIT), for its own connection.closed;
   * undefined for any other connection.
   */
  closedToMakeRoom(socket: net.Socket): AppError | undefined {
    return this.#madeRoom.get(socket);
  }

  #evictionError({ listener, address, limit }: Pool): AppError {
    return new AppError(
      'TUNNEL_CONNECTION_LIMIT',
      `The ${listener} listener on ${address} has ${limit} connections open, its limit; this one had not ${listener === 'http' ? 'sent a request' : 'sent a Pulsar CONNECT (without inspection: a first byte)'} yet and was closed to make room for a newer one. Close idle clients (or find the one that opens connections without end).`,
    );
  }

  #reportFull(pool: Pool, evicted: boolean): void {
    const { listener, address, limit } = pool;
    this.#refused(
      `full ${address}`,
      (refused, closedIdle) => ({
        event: 'listener.full',
        listener,
        address,
        limit,
        refused,
        evicted: closedIdle,
        error: new AppError(
          'TUNNEL_CONNECTION_LIMIT',
          `The ${listener} listener on ${address} has ${limit} connections open, its limit; ${[
            closedIdle > 0 ? `${closedIdle} that had not ${listener === 'http' ? 'sent a request' : 'sent a Pulsar CONNECT (without inspection: a first byte)'} yet ${closedIdle === 1 ? 'was' : 'were'} closed to make room for newer ones` : '',
            refused > 0 ? `${refused} new ${refused === 1 ? 'connection was' : 'connections were'} closed at once because every open one is in use` : '',
          ]
            .filter(Boolean)
            .join('; ')}. Close idle clients (or find the one that opens connections without end).`,
        ).toJSON(),
      }),
      evicted,
    );
  }

  /**
   * Whether a connection just accepted may be served: false when fewer than the reserve of file
   * descriptors would be left (then it is closed here and reported). The web listener gives way
   * first (at four times the reserve), so a flood of HTTP clients cannot take the Pulsar listeners'
   * room.
   */
  admit(socket: net.Socket, listener: ListenerKind, address: string): boolean {
    if (this.#fileLimit === undefined) return this.#withinCap(socket, address);
    this.#estimate += 2;
    const now = this.#now();
    const since = now - this.#measuredAt;
    const stale = since > Math.min(Math.max(recountIntervalMs, this.#countCostMs * farCostFactor), farIntervalCapMs);
    const near = this.#estimate >= this.#threshold(listener) && since >= Math.min(Math.max(measureIntervalMs, this.#countCostMs * nearCostFactor), nearIntervalCapMs);
    if (stale || near) {
      const counted = this.#countOpenFiles();
      if (counted === undefined) return true;
      // The connection's own descriptor is counted; its dial to the broker is one more.
      this.#estimate = counted + 1;
      this.#measuredAt = now;
      // Smoothed, so one count slowed by the scheduler does not space the next ones far apart.
      const cost = this.#now() - now;
      this.#countCostMs = this.#countCostMs === 0 ? cost : this.#countCostMs * 0.7 + cost * 0.3;
      // Reading /proc is cheap; elsewhere the limit costs a shell, so it is read once.
      if (this.#limits.fileLimit === undefined && process.platform === 'linux') this.#fileLimit = readFileLimit() ?? this.#fileLimit;
    }
    const idle = this.#estimate < this.#threshold(listener) ? undefined : this.#oldestUnproven(listener);
    if (this.#estimate < this.#threshold(listener) || idle !== undefined) {
      if (idle !== undefined) {
        // Its own descriptor comes back now (one more if it had dialed: the next count sees it).
        this.#evict(
          idle,
          new AppError(
            'TUNNEL_FILE_LIMIT',
            `The tunnel is near its limit of ${this.#fileLimit} open files; this connection had not yet sent a Pulsar CONNECT (without inspection: a first byte) or an HTTP request and was closed to make room for a newer one. Close idle clients, or raise the limit (ulimit -n) before starting the tunnel.`,
          ),
        );
        this.#estimate -= 1;
        this.#reportFiles(listener, address, true);
      }
      if (this.#withinCap(socket, address)) return true;
      this.#estimate -= 2;
      return false;
    }
    socket.destroy();
    this.#estimate -= 2;
    this.#reportFiles(listener, address, false);
    return false;
  }

  #reportFiles(listener: ListenerKind, address: string, evicted: boolean): void {
    this.#refused(
      `files ${address}`,
      (count, closedIdle) => ({
        event: 'listener.error',
        listener,
        error: new AppError(
          'TUNNEL_FILE_LIMIT',
          `The tunnel has about ${this.#estimate} of its ${this.#fileLimit} open files in use; ${[
            closedIdle > 0 ? `${closedIdle} open ${closedIdle === 1 ? 'connection' : 'connections'} that had not yet sent a Pulsar CONNECT (without inspection: a first byte) or an HTTP request ${closedIdle === 1 ? 'was' : 'were'} closed to make room for newer ones on ${address}` : '',
            count > 0 ? `${count} new ${count === 1 ? 'connection' : 'connections'} on ${address} ${count === 1 ? 'was' : 'were'} closed at once to keep room for the open ones, which are all in use` : '',
          ]
            .filter(Boolean)
            .join('; ')}. Close idle clients (or find the one that opens connections without end), or raise the limit (ulimit -n) before starting the tunnel.`,
        ).toJSON(),
      }),
      evicted,
    );
  }

  /** Descriptors in use at which `listener` stops admitting connections. */
  #threshold(listener: ListenerKind): number {
    const limit = this.#fileLimit ?? Infinity;
    const reserve = this.#limits.fileReserve ?? Math.max(8, Math.ceil(limit * 0.01));
    return limit - reserve * (listener === 'http' ? httpReserveFactor : 1);
  }

  /** Drops pending reports. */
  dispose(): void {
    for (const refusals of this.#refusals.values()) clearTimeout(refusals.timer);
    this.#refusals.clear();
  }

  /**
   * Counts a refusal (or, with `evicted`, an open connection closed to make room); reports at once,
   * then at most once a second with the counts since.
   */
  #refused(key: string, event: (count: number, evicted: number) => TunnelEvent, evicted = false): void {
    let refusals = this.#refusals.get(key);
    if (!refusals) {
      refusals = { count: 0, evicted: 0, reportedAt: -Infinity };
      this.#refusals.set(key, refusals);
    }
    if (evicted) refusals.evicted++;
    else refusals.count++;
    if (refusals.timer) return;
    const entry = refusals;
    const report = () => {
      entry.timer = undefined;
      if (entry.count === 0 && entry.evicted === 0) return;
      const { count, evicted: closed } = entry;
      entry.count = 0;
      entry.evicted = 0;
      entry.reportedAt = performance.now();
      this.#emit(event(count, closed));
    };
    const wait = entry.reportedAt + reportIntervalMs - performance.now();
    if (wait <= 0) report();
    else {
      entry.timer = setTimeout(report, wait);
      entry.timer.unref();
    }
  }
}
