/**
 * Tells a broker's TLS close (close_notify, then FIN) from a bare TCP FIN with no close_notify
 * (a proxy that died, restarted or timed out an idle tunnel), which Node reports alike: both end
 * the TLS socket's stream with 'end' and no error.
 *
 * How Node's TLS layer shows the difference (Node 20, pinned by tests/tunnel/closeKind.test.ts): it
 * ends the stream right after OpenSSL reads a close_notify, inside the same native read that carried
 * the alert; a bare FIN ends it from a separate native read of 0 bytes. So, watching the TLS handle's
 * reads with the raw (encrypted) byte count of the TCP handle under it:
 * - the end comes in the same event-loop turn as the last data: the alert came with that data;
 * - the end comes later and a few raw bytes arrived since the last data (the alert alone: 24 bytes
 *   with TLS 1.3, at most {@link closeNotifyRoom}): a TLS close;
 * - the end comes later and no raw byte arrived since the last data: a bare FIN;
 * - the end comes later and more raw bytes arrived than a close_notify takes, without producing
 *   data: part of a record cut short by a bare FIN (a record is only decrypted once whole).
 * Session tickets (TLS 1.3 NewSessionTicket after the handshake) are raw bytes without data too, so
 * the count is also taken at each 'session' event and at the end of the handshake.
 * Left ambiguous, and read as a TLS close (never reported as lost without knowing): the last data
 * and a bare FIN read in the same loop turn (a read that exactly fills the buffer, then the FIN),
 * and a FIN after a fragment of a record no longer than {@link closeNotifyRoom}.
 *
 * Cost per read: one counter read and one native getter; one closure per connection, and at most
 * one shared setImmediate per event-loop turn.
 */
import type tls from 'node:tls';

/**
 * How a TLS socket's stream ended: `close-notify` (a TLS close, or a close that cannot be told from
 * one), `bare-fin` (a TCP FIN without close_notify, known), `unknown` (not tracked: the socket does
 * not sit on its own TCP handle, or it has not ended).
 */
export type CloseKind = 'close-notify' | 'bare-fin' | 'unknown';

/** Bumped once per event-loop turn in which some read asked for it (check phase, after the poll). */
let loopTurn = 0;
let turnScheduled = false;
const nextTurn = (): void => {
  turnScheduled = false;
  loopTurn++;
};

/** The current loop turn, making sure it advances before the next poll. */
function currentTurn(): number {
  if (!turnScheduled) {
    turnScheduled = true;
    setImmediate(nextTurn).unref();
  }
  return loopTurn;
}

/**
 * Raw bytes that may hold a close_notify after the last data: the alert record takes 23 to 85 bytes
 * with the ciphers Node offers (TLS 1.3 AEAD 24, TLS 1.2 GCM 31, CBC-SHA384 85); room for it behind
 * another small record (a warning alert, a key update). More bytes than this that produced no data
 * are a record cut short.
 */
export const closeNotifyRoom = 256;

/** The native handles Node keeps on a TLSSocket (not in @types/node). */
interface StreamHandle {
  onread?: (this: unknown, buffer?: ArrayBuffer) => unknown;
  bytesRead?: number;
  constructor?: { name?: string };
  _parent?: StreamHandle;
}

/** What is known of one tracked socket's reads. */
class Tracked {
  /** Loop turn and raw byte count when bytes last produced something: data, handshake, ticket. */
  turn = currentTurn();
  raw: number;
  kind: CloseKind | undefined = undefined;
  /** The TCP handle under the TLS handle, whose byte count is the raw (encrypted) one. */
  readonly parent: StreamHandle;

  constructor(parent: StreamHandle) {
    this.parent = parent;
    this.raw = parent.bytesRead ?? 0;
  }

  /** Bytes just produced something. */
  mark(): void {
    this.turn = currentTurn();
    this.raw = this.parent.bytesRead ?? this.raw;
  }
}

const tracked = new WeakMap<tls.TLSSocket, Tracked>();

/** The listener of the handshake's end and of every ticket, shared by all sockets (`this` is the socket). */
function markSocket(this: tls.TLSSocket): void {
  tracked.get(this)?.mark();
}

/**
 * Starts watching how `socket` ends. Call it right after tls.connect(), before any byte is read.
 * Without a TCP handle under the TLS handle (TLS over a JS stream), nothing is tracked and
 * {@link closeKindOf} answers `unknown`.
 */
export function trackCloseKind(socket: tls.TLSSocket): void {
  const handle = (socket as unknown as { _handle?: StreamHandle })._handle;
  const parent = handle?._parent;
  const original = handle?.onread;
  if (!handle || !original || parent?.constructor?.name !== 'TCP' || typeof parent.bytesRead !== 'number') return;
  const state = new Tracked(parent);
  handle.onread = function onread(this: unknown, buffer?: ArrayBuffer) {
    if (buffer === undefined) {
      // The end of the stream (or a read error, which ends in 'error' and is not asked about). The
      // first one counts: the TCP FIN that follows a close_notify may be reported again.
      const unexplained = (parent.bytesRead ?? 0) - state.raw;
      state.kind ??= loopTurn === state.turn || (unexplained > 0 && unexplained <= closeNotifyRoom) ? 'close-notify' : 'bare-fin';
    } else {
      state.mark();
    }
    // eslint-disable-next-line prefer-rest-params -- Node's onread takes its arguments as given
    return Reflect.apply(original, this, arguments);
  };
  socket.once('secureConnect', markSocket);
  socket.on('session', markSocket);
  tracked.set(socket, state);
}

/** How `socket`'s stream ended; see {@link CloseKind}. */
export function closeKindOf(socket: tls.TLSSocket): CloseKind {
  return tracked.get(socket)?.kind ?? 'unknown';
}
