/**
 * One direction's writes to its destination socket, gathered into as few writes as possible.
 *
 * A TLS socket hands decrypted data over in pieces of at most 16 KiB (one TLS record each, one
 * 'data' event each), and a broker sending 64 KiB messages adds a small record per message: written
 * as they come, that is a write(2) per piece (20,491 per 256 MiB of 64 KiB messages). Gathered
 * across the event-loop turn instead (`acrossReads`), the pieces of every read of the turn leave in
 * one writev(2) when the turn's reads are done (the check phase, right after the poll phase that
 * delivered them), or as soon as `flushAt` bytes are waiting: 1,028 writev(2) per 256 MiB, with no
 * copy (each piece is passed to writev as it is). Without `acrossReads`, the pieces one read
 * produced (a transform's header and payload views) leave together when that read is done: one
 * write for one piece, corked into one writev for several (so TLS seals them into full records
 * rather than one small record per piece).
 *
 * Backpressure is unchanged: `onBlocked` is called when a write leaves the destination's buffer at
 * or over its high-water mark, and 'drain' follows as usual. A destination that is destroyed or
 * ended takes nothing more (what is waiting then is dropped, as a write would fail).
 */
import type net from 'node:net';

export interface WriteBatchOptions {
  /** Keep pieces until the event-loop turn's reads are done (or {@link flushAt} bytes wait). */
  acrossReads: boolean;
  /** With `acrossReads`, write at once when this many bytes are waiting. */
  flushAt?: number;
  /** The destination (given) reached its high-water mark: pause the source until 'drain'. */
  onBlocked: (to: net.Socket) => void;
}

/**
 * The most bytes held back across reads by default: four reads of the TCP socket under TLS (64 KiB
 * each), sixteen records, one writev. Measured against 64 KiB: a quarter of the system calls again
 * (1,028 instead of 4,106 per 256 MiB) and about 5% less CPU per byte; more than this gained
 * nothing measurable and only holds more memory per connection within a turn.
 */
export const DEFAULT_FLUSH_AT = 256 * 1024;

export class WriteBatch {
  // As few fields as will do, and no closure of its own: every open connection has two.
  readonly #to: net.Socket;
  /** Bytes that make the batch write at once; 0 without `acrossReads` (every read's end). */
  readonly #flushAt: number;
  readonly #onBlocked: (to: net.Socket) => void;
  #pieces: Buffer[] = [];
  #bytes = 0;
  #reading = false;
  #scheduled = false;

  constructor(to: net.Socket, options: WriteBatchOptions) {
    this.#to = to;
    this.#flushAt = options.acrossReads ? (options.flushAt ?? DEFAULT_FLUSH_AT) : 0;
    this.#onBlocked = options.onBlocked;
  }

  /** The end of the turn in which pieces were left waiting (see #settle). */
  static #flushLater(batch: WriteBatch): void {
    batch.#scheduled = false;
    batch.flush();
  }

  /** Bytes waiting to be written. */
  get waiting(): number {
    return this.#bytes;
  }

  /** A read's output follows (until {@link endRead}): pieces are gathered, not written one by one. */
  beginRead(): void {
    this.#reading = true;
  }

  /** The read's output is complete: written now, or at the end of the turn with `acrossReads`. */
  endRead(): void {
    this.#reading = false;
    this.#settle();
  }

  /** Queues `out` (never modified afterwards: it is written as it is, later). */
  write(out: Buffer): void {
    this.#pieces.push(out);
    this.#bytes += out.length;
    // Output outside a read (held-back output released later) goes out like a read's.
    if (!this.#reading) this.#settle();
  }

  /** Writes whatever is waiting, now (before an end, or a failure's farewell). */
  flush(): void {
    const pieces = this.#pieces;
    if (pieces.length === 0) return;
    this.#pieces = [];
    this.#bytes = 0;
    const to = this.#to;
    if (to.destroyed || to.writableEnded) return;
    if (pieces.length === 1) {
      to.write(pieces[0]!);
    } else {
      to.cork();
      for (const piece of pieces) to.write(piece);
      to.uncork();
    }
    // What write() returns, for all the pieces at once: false while corked says nothing yet.
    if (!to.destroyed && to.writableLength >= to.writableHighWaterMark) this.#onBlocked(to);
  }

  #settle(): void {
    if (this.#bytes >= this.#flushAt) {
      this.flush();
    } else if (!this.#scheduled && this.#bytes > 0) {
      this.#scheduled = true;
      setImmediate(WriteBatch.#flushLater, this);
    }
  }
}
