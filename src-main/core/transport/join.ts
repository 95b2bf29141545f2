/**
 * Joins a local plain socket and a TLS socket to the broker: both directions copied at once, with
 * backpressure (a direction pauses its source while the destination's buffer is full, so memory per
 * connection stays bounded whatever the peers do), half-close passed through, both sides destroyed
 * on error, and a close timeout that reaps a peer left half-dead. Never a bare .pipe() pair: pipe()
 * neither passes errors on nor destroys the other side.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { AppError, isAppError } from '../../../shared/errors.ts';
import { closeKindOf } from './closeKind.ts';
import { WriteBatch } from './writeBatch.ts';
import { classifyQuietClose, clientCertRejected, isClientCertRejection, isRoutineDisconnect, proxyClosedWithoutTlsClose, proxyConnectionLost, type ClientCertificateName } from './tlsErrors.ts';

/** Rewrites one direction of a stream: feed chunks in, get the bytes to forward out, in order. */
export interface StreamTransform {
  /** Calls `emit` for every buffer to forward. Throws an AppError to close the connection. */
  push(chunk: Buffer, emit: (out: Buffer) => void): void;
  /**
   * After a push: a promise while output is held back (the source is paused until it settles; a
   * rejection closes the connection with that error), or undefined.
   */
  pending?(): Promise<void> | undefined;
}

/** Live byte counters of one connection, updated as bytes flow. */
export interface ByteCounters {
  /** Bytes received from the local client. */
  bytesUp: number;
  /** Bytes written to the local client. */
  bytesDown: number;
}

export interface JoinOptions {
  local: net.Socket;
  remote: tls.TLSSocket;
  /** Local client → broker. */
  up?: StreamTransform;
  /** Broker → local client. */
  down?: StreamTransform;
  counters: ByteCounters;
  /** After one side has closed or sent FIN, how long the other may stay open. */
  closeTimeoutMs: number;
  /** Server name of the broker, for error messages. */
  sni: string | undefined;
  /** Bytes already read from the local client (e.g. its CONNECT), sent to the remote first. */
  preamble?: Buffer;
  /** The client certificate presented to the broker, to recognise and name its rejection. */
  clientCertificate?: ClientCertificateName;
  /**
   * Bytes that tell the local client why its connection fails (a Pulsar ERROR for a CONNECT not
   * yet answered), sent before the local side is closed; undefined to just close it.
   */
  farewell?: (error: AppError) => Buffer | undefined;
}

/**
 * Ends a local connection with a FIN rather than a reset: unread input is drained (closing a socket
 * with unread bytes makes the kernel send RST, which can discard what we wrote last), so the client
 * reads everything sent before the close.
 */
export function closeGracefully(local: net.Socket): void {
  if (local.destroyed) return;
  local.on('data', () => undefined);
  local.resume();
  local.destroySoon();
  setTimeout(() => local.destroy(), 1_000).unref();
}

/** The direction a socket is the source of, kept on the socket itself (see {@link Join}). */
const sourceOf = Symbol('pulsar-tunnel.joinSource');
type Joined = net.Socket & { [sourceOf]?: Direction };

/** The shared listeners: `this` is the socket, whose own direction says which join it is in. */
function onSourceData(this: Joined, chunk: Buffer): void {
  this[sourceOf]?.read(chunk);
}
function onSourceEnd(this: Joined): void {
  this[sourceOf]?.ended();
}
function onSocketError(this: Joined, failure: Error): void {
  const direction = this[sourceOf];
  direction?.join.socketFailed(direction, failure);
}
function onSocketClose(this: Joined, hadError: boolean): void {
  const direction = this[sourceOf];
  direction?.join.socketClosed(direction, hadError);
}
/** A socket's buffer reached its high-water mark: the direction writing to it pauses its source. */
function onDestinationBlocked(to: net.Socket): void {
  (to as Joined)[sourceOf]?.other.block();
}
function onDestinationDrain(this: Joined): void {
  this[sourceOf]?.other.drained();
}

/** Resolves once both sockets are closed; `error` is set when the connection ended in a failure. */
export function joinSockets(options: JoinOptions): Promise<{ error?: AppError }> {
  return new Promise((resolve) => new Join(options, resolve).start(options));
}

/**
 * One copying direction, local client → broker (`up`) or broker → local client (`down`).
 * Listeners are shared functions that find the direction on the socket (a thousand idle
 * connections each hold a few small objects, not some twenty closures and their scopes).
 */
class Direction {
  readonly join: Join;
  readonly from: Joined;
  readonly to: Joined;
  readonly down: boolean;
  readonly transform: StreamTransform | undefined;
  /** The direction the other way (its source is this one's destination). */
  other!: Direction;
  readonly output: WriteBatch;
  /** The destination's buffer is full: the source reads again once it drained. */
  #blocked = false;
  /** The transform holds output back: the source reads again once that is settled. */
  #holding = false;
  #ended = false;
  /** Where the transform's output goes (a function: transforms call it plainly). */
  readonly emit: (out: Buffer) => void;

  constructor(join: Join, from: net.Socket, to: net.Socket, down: boolean, transform: StreamTransform | undefined) {
    this.join = join;
    this.from = from;
    this.to = to;
    this.down = down;
    this.transform = transform;
    // Towards the local client, the pieces TLS hands over are gathered across the loop turn
    // (see WriteBatch). Towards the broker, each read of the client's is already one piece and
    // leaves when the read is done: nothing waits between reads there, which the session's own
    // frames (written straight to the broker between two client frames) rely on.
    const output = new WriteBatch(to, { acrossReads: down, onBlocked: onDestinationBlocked });
    this.output = output;
    const counters = join.counters;
    this.emit = down
      ? (out: Buffer) => {
          counters.bytesDown += out.length;
          output.write(out);
        }
      : (out: Buffer) => output.write(out);
  }

  /** Starts copying: the source's data and end are this direction's from now on. */
  start(): void {
    const from = this.from;
    from[sourceOf] = this;
    from.on('data', onSourceData);
    from.on('end', onSourceEnd); // 'end' comes once; `on` spares the wrapper once() makes
    // The FIN may have come before the join: a client that sends its CONNECT and FIN together is
    // read to the end by the Pulsar session while the broker is dialed, and Node emits 'end'
    // even on a paused socket once its buffer is empty.
    if (from.readableEnded) this.ended();
  }

  block(): void {
    if (this.#blocked) return;
    this.#blocked = true;
    this.from.pause();
    this.to.once('drain', onDestinationDrain);
  }

  drained(): void {
    this.#blocked = false;
    if (!this.#holding) this.from.resume();
  }

  read(chunk: Buffer): void {
    const join = this.join;
    // After a failure only the local side is still drained (closeGracefully); nothing goes on.
    if (join.failed) return;
    if (this.down) join.received += chunk.length;
    else join.counters.bytesUp += chunk.length;
    const { output, transform } = this;
    output.beginRead();
    try {
      if (transform) transform.push(chunk, this.emit);
      else this.emit(chunk);
    } catch (failure) {
      output.endRead();
      join.fail(isAppError(failure) ? failure : new AppError('TUNNEL_INTERNAL', `Internal error while reading the stream: ${(failure as Error).message}`, { cause: failure }));
      return;
    }
    output.endRead();
    const held = transform?.pending?.();
    if (held) {
      this.#holding = true;
      this.from.pause();
      held.then(
        () => {
          this.#holding = false;
          if (!this.#blocked) this.from.resume();
        },
        (failure: unknown) => join.fail(isAppError(failure) ? failure : new AppError('TUNNEL_INTERNAL', String(failure), { cause: failure })),
      );
    }
  }

  ended(): void {
    if (this.#ended) return;
    this.#ended = true;
    const join = this.join;
    if (!this.down) join.localEnded = true;
    else {
      const rejected = join.quietClose();
      if (rejected) return join.fail(rejected);
      // A FIN without close_notify while the local client is still there: the proxy went away
      // (or timed the tunnel out), not the broker closing. Reported; the FIN is still passed on
      // below, after every byte (a Pulsar client whose CONNECT is unanswered gets its ERROR).
      if (!join.localEnded && !join.local.destroyed && closeKindOf(join.remote) === 'bare-fin') {
        const lost = proxyClosedWithoutTlsClose({ sni: join.sni });
        const goodbye = this.transform?.pending?.() ? undefined : join.farewellFor(lost);
        if (goodbye) return join.fail(lost, goodbye);
        join.error ??= lost;
      }
    }
    join.armCloseTimer();
    // Half-close: pass the FIN on once every byte before it is out (output held back by the
    // transform comes first); the other direction keeps flowing until it ends too.
    const held = this.transform?.pending?.();
    if (!held) return this.end();
    held.then(
      () => this.end(),
      () => undefined, // the failure is reported where the hold was taken (read)
    );
  }

  end(): void {
    this.output.flush();
    if (!this.to.destroyed) this.to.end();
  }
}

/** Both directions of one connection, and how it ends. */
class Join {
  readonly local: net.Socket;
  readonly remote: tls.TLSSocket;
  readonly counters: ByteCounters;
  readonly sni: string | undefined;
  readonly #closeTimeoutMs: number;
  readonly #clientCertificate: ClientCertificateName | undefined;
  readonly #farewell: ((error: AppError) => Buffer | undefined) | undefined;
  readonly #resolve: (result: { error?: AppError }) => void;
  readonly #up: Direction;
  readonly #down: Direction;
  error: AppError | undefined = undefined;
  failed = false;
  /** The local client sent its FIN: a proxy closing after that is not a lost connection. */
  localEnded = false;
  /** Application bytes received from the broker. */
  received = 0;
  #localClosed = false;
  #remoteClosed = false;
  #closeTimer: NodeJS.Timeout | undefined = undefined;

  constructor(options: JoinOptions, resolve: (result: { error?: AppError }) => void) {
    // The options' fields, not the object: it holds the preamble, which need not live as long.
    this.local = options.local;
    this.remote = options.remote;
    this.counters = options.counters;
    this.sni = options.sni;
    this.#closeTimeoutMs = options.closeTimeoutMs;
    this.#clientCertificate = options.clientCertificate;
    this.#farewell = options.farewell;
    this.#resolve = resolve;
    this.#up = new Direction(this, options.local, options.remote, false, options.up);
    this.#down = new Direction(this, options.remote, options.local, true, options.down);
    this.#up.other = this.#down;
    this.#down.other = this.#up;
  }

  start(options: JoinOptions): void {
    const { local, remote } = this;
    // Before the forwarding starts, which may pass on a FIN that came with the preamble.
    if (options.preamble && options.preamble.length > 0) remote.write(options.preamble);
    this.#up.start();
    this.#down.start();
    local.on('error', onSocketError);
    remote.on('error', onSocketError);
    local.on('close', onSocketClose);
    remote.on('close', onSocketClose);
    if (local.destroyed) this.#localClosed = true;
    if (remote.destroyed) this.#remoteClosed = true;
    this.#finish();
  }

  /** What tells the local client why its connection fails, if anything (see JoinOptions.farewell). */
  farewellFor(failure: AppError | undefined): Buffer | undefined {
    const local = this.local;
    return failure && !local.destroyed && !local.writableEnded ? this.#farewell?.(failure) : undefined;
  }

  fail(failure: AppError | undefined, goodbye = this.farewellFor(failure)): void {
    if (failure && !this.error) this.error = failure;
    // Bytes read before the failure still reach the local client (once: later calls find none).
    if (!this.failed) {
      this.#up.output.flush();
      this.#down.output.flush();
    }
    this.failed = true;
    this.remote.destroy();
    if (goodbye) {
      this.local.write(goodbye);
      closeGracefully(this.local);
    } else {
      this.local.destroy();
    }
  }

  /** The broker side closed without a TLS alert: a rejected client certificate, or a routine close. */
  quietClose(): AppError | undefined {
    return classifyQuietClose({ sni: this.sni, clientCertificate: this.#clientCertificate, tlsVersion: this.remote.getProtocol(), bytesSent: this.counters.bytesUp, bytesReceived: this.received });
  }

  armCloseTimer(): void {
    if (this.#closeTimer) return;
    this.#closeTimer = setTimeout(Join.#closeTimedOut, this.#closeTimeoutMs, this);
    this.#closeTimer.unref();
  }

  static #closeTimedOut(join: Join): void {
    join.fail(undefined);
  }

  socketFailed(direction: Direction, failure: Error): void {
    if (!direction.down) {
      // The local client going away is routine; anything else is worth reporting.
      this.fail(isRoutineDisconnect(failure) ? undefined : new AppError('TUNNEL_INTERNAL', `Local connection failed: ${failure.message}`, { cause: failure }));
      return;
    }
    const context = { sni: this.sni, clientCertificate: this.#clientCertificate };
    if (isClientCertRejection(failure)) this.fail(clientCertRejected(failure, context));
    // A reset from the broker's side is not routine: the proxy or broker died or was cut off.
    else if (isRoutineDisconnect(failure)) this.fail(this.quietClose() ?? proxyConnectionLost(failure, context));
    else this.fail(new AppError('TUNNEL_TLS_FAILED', `The TLS connection to the broker failed: ${failure.message}`, { cause: failure }));
  }

  socketClosed(direction: Direction, hadError: boolean): void {
    if (direction.down) this.#remoteClosed = true;
    else this.#localClosed = true;
    if (hadError) direction.to.destroy();
    else this.armCloseTimer();
    this.#finish();
  }

  #finish(): void {
    if (!this.#localClosed || !this.#remoteClosed) return;
    clearTimeout(this.#closeTimer);
    this.#resolve(this.error ? { error: this.error } : {});
  }
}
