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

/** Resolves once both sockets are closed; `error` is set when the connection ended in a failure. */
export function joinSockets(options: JoinOptions): Promise<{ error?: AppError }> {
  const { local, remote, counters } = options;
  return new Promise((resolve) => {
    let error: AppError | undefined;
    let localClosed = false;
    let remoteClosed = false;
    let closeTimer: NodeJS.Timeout | undefined;
    let failed = false;
    /** The local client sent its FIN: a proxy closing after that is not a lost connection. */
    let localEnded = false;
    /** Application bytes received from the broker. */
    let received = 0;

    const finish = () => {
      if (!localClosed || !remoteClosed) return;
      clearTimeout(closeTimer);
      resolve(error ? { error } : {});
    };
    /** What tells the local client why its connection fails, if anything (see JoinOptions.farewell). */
    const farewellFor = (failure: AppError | undefined) => (failure && !local.destroyed && !local.writableEnded ? options.farewell?.(failure) : undefined);
    /** Each direction's output (see WriteBatch): what it still holds back is written before a close. */
    const outputs: WriteBatch[] = [];
    const fail = (failure: AppError | undefined, goodbye = farewellFor(failure)) => {
      if (failure && !error) error = failure;
      // Bytes read before the failure still reach the local client (once: later calls find none).
      if (!failed) for (const output of outputs) output.flush();
      failed = true;
      remote.destroy();
      if (goodbye) {
        local.write(goodbye);
        closeGracefully(local);
      } else {
        local.destroy();
      }
    };
    /** The broker side closed without a TLS alert: a rejected client certificate, or a routine close. */
    const quietClose = () =>
      classifyQuietClose({ sni: options.sni, clientCertificate: options.clientCertificate, tlsVersion: remote.getProtocol(), bytesSent: counters.bytesUp, bytesReceived: received });
    const armCloseTimer = () => {
      if (closeTimer) return;
      closeTimer = setTimeout(() => fail(undefined), options.closeTimeoutMs);
      closeTimer.unref();
    };

    const forward = (from: net.Socket, to: net.Socket, transform: StreamTransform | undefined, direction: 'up' | 'down') => {
      // The source reads again only when the destination drained AND no output is held back.
      let blocked = false;
      let holding = false;
      const onDrain = () => {
        blocked = false;
        if (!holding) from.resume();
      };
      // Towards the local client, the pieces TLS hands over are gathered across the loop turn
      // (see WriteBatch). Towards the broker, each read of the client's is already one piece and
      // leaves when the read is done: nothing waits between reads there, which the session's own
      // frames (written straight to the broker between two client frames) rely on.
      const output = new WriteBatch(to, {
        acrossReads: direction === 'down',
        onBlocked: () => {
          if (blocked) return;
          blocked = true;
          from.pause();
          to.once('drain', onDrain);
        },
      });
      outputs.push(output);
      const write =
        direction === 'down'
          ? (out: Buffer) => {
              counters.bytesDown += out.length;
              output.write(out);
            }
          : (out: Buffer) => output.write(out);
      from.on('data', (chunk: Buffer) => {
        // After a failure only the local side is still drained (closeGracefully); nothing goes on.
        if (failed) return;
        if (direction === 'up') counters.bytesUp += chunk.length;
        else received += chunk.length;
        output.beginRead();
        try {
          if (transform) transform.push(chunk, write);
          else write(chunk);
        } catch (failure) {
          output.endRead();
          fail(isAppError(failure) ? failure : new AppError('TUNNEL_INTERNAL', `Internal error while reading the stream: ${(failure as Error).message}`, { cause: failure }));
          return;
        }
        output.endRead();
        const held = transform?.pending?.();
        if (held) {
          holding = true;
          from.pause();
          held.then(
            () => {
              holding = false;
              if (!blocked) from.resume();
            },
            (failure: unknown) => fail(isAppError(failure) ? failure : new AppError('TUNNEL_INTERNAL', String(failure), { cause: failure })),
          );
        }
      });
      const end = () => {
        output.flush();
        if (!to.destroyed) to.end();
      };
      let ended = false;
      const onEnd = () => {
        if (ended) return;
        ended = true;
        if (direction === 'up') localEnded = true;
        else {
          const rejected = quietClose();
          if (rejected) return fail(rejected);
          // A FIN without close_notify while the local client is still there: the proxy went away
          // (or timed the tunnel out), not the broker closing. Reported; the FIN is still passed on
          // below, after every byte (a Pulsar client whose CONNECT is unanswered gets its ERROR).
          if (!localEnded && !local.destroyed && closeKindOf(remote) === 'bare-fin') {
            const lost = proxyClosedWithoutTlsClose({ sni: options.sni });
            const goodbye = transform?.pending?.() ? undefined : farewellFor(lost);
            if (goodbye) return fail(lost, goodbye);
            error ??= lost;
          }
        }
        armCloseTimer();
        // Half-close: pass the FIN on once every byte before it is out (output held back by the
        // transform comes first); the other direction keeps flowing until it ends too.
        const held = transform?.pending?.();
        if (!held) return end();
        held.then(
          end,
          () => undefined, // the failure is reported where the hold was taken (above)
        );
      };
      from.once('end', onEnd);
      // The FIN may have come before the join: a client that sends its CONNECT and FIN together is
      // read to the end by the Pulsar session while the broker is dialed, and Node emits 'end'
      // even on a paused socket once its buffer is empty.
      if (from.readableEnded) onEnd();
    };

    // Before the forwarding starts, which may pass on a FIN that came with the preamble.
    if (options.preamble && options.preamble.length > 0) remote.write(options.preamble);
    forward(local, remote, options.up, 'up');
    forward(remote, local, options.down, 'down');

    local.on('error', (failure: Error) => {
      // The local client going away is routine; anything else is worth reporting.
      fail(isRoutineDisconnect(failure) ? undefined : new AppError('TUNNEL_INTERNAL', `Local connection failed: ${failure.message}`, { cause: failure }));
    });
    remote.on('error', (failure: Error) => {
      if (isClientCertRejection(failure)) fail(clientCertRejected(failure, { sni: options.sni, clientCertificate: options.clientCertificate }));
      // A reset from the broker's side is not routine: the proxy or broker died or was cut off.
      else if (isRoutineDisconnect(failure)) fail(quietClose() ?? proxyConnectionLost(failure, { sni: options.sni }));
      else fail(new AppError('TUNNEL_TLS_FAILED', `The TLS connection to the broker failed: ${failure.message}`, { cause: failure }));
    });
    local.once('close', (hadError: boolean) => {
      localClosed = true;
      if (hadError) remote.destroy();
      else armCloseTimer();
      finish();
    });
    remote.once('close', (hadError: boolean) => {
      remoteClosed = true;
      if (hadError) local.destroy();
      else armCloseTimer();
      finish();
    });
    if (local.destroyed) localClosed = true;
    if (remote.destroyed) remoteClosed = true;
    finish();
  });
}
