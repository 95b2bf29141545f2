/**
 * A streaming splitter for Pulsar binary-protocol frames (docs/pulsar-protocol.md, "Framing"), for one
 * direction of one connection, for its whole life. It finds every frame boundary, shows each
 * frame's command to a callback as soon as the command is complete, and forwards the bytes:
 * untouched frames as zero-copy views of the input chunks (coalesced into one view per chunk where
 * possible), replaced commands freshly framed, dropped frames not at all. SEND/MESSAGE payloads are
 * never decoded nor buffered: once the command has been read, payload bytes are forwarded as they
 * arrive, so memory per connection stays bounded by one command, not one 5 MB message.
 */
import { AppError } from '../../../shared/errors.ts';
import { frame } from './commands.ts';
import { scanBaseCommandType } from './wire.ts';

/** A frame's header and command, as shown to {@link FrameReaderOptions.onFrame}. */
export interface FrameHeader {
  /** BaseCommand.type (field 1). */
  type: number;
  /** The frame's totalSize field: every byte after it (commandSize field, command, payload). */
  totalSize: number;
  /** The frame's commandSize field. */
  commandSize: number;
  /** The BaseCommand bytes: a view of bytes that are forwarded too, so never mutate it. */
  command: Buffer;
  /** True when a payload follows the command (`totalSize > commandSize + 4`): SEND and MESSAGE. */
  hasPayload: boolean;
}

/** What to do with a frame: forward untouched, replace its command (only for frames without payload), or drop it. */
export type FrameDecision =
  | undefined
  | { replace: Buffer /* new BaseCommand bytes */ }
  | { drop: true }
  /**
   * The new command is still being computed (e.g. a listener is opening). The frame keeps its
   * place: everything before it has been emitted when `emitLater` (see push) receives the promise,
   * and the caller must hold back what comes after until it settles. Only for frames without payload.
   */
  | { replaceLater: Promise<Buffer> };

/** Options of {@link FrameReader}. */
export interface FrameReaderOptions {
  /**
   * Called once per frame, in stream order, as soon as its command is complete (before any of its
   * payload is forwarded). Whatever it throws propagates out of {@link FrameReader.push}.
   */
  onFrame: (frame: FrameHeader) => FrameDecision;
  /** The largest accepted totalSize; default {@link DEFAULT_MAX_FRAME_SIZE}. */
  maxFrameSize?: number;
  /**
   * The largest accepted commandSize (the part the reader buffers; payloads never are); default:
   * no cap beyond the frame size. Checked as soon as the 8-byte header is read.
   */
  maxCommandSize?: number;
}

/** Pulsar's default maxMessageSize (5 MiB) plus the 10,240 bytes of frame padding. */
export const DEFAULT_MAX_FRAME_SIZE = 5_253_116;

/**
 * "HTTP" read as a big-endian uint32 (1,213,486,160): what a client reads when an HTTP server
 * answers. Netty-based clients add the 4-byte length field and log 1,213,486,164.
 */
export const HTTP_FRAME_LENGTH = 0x48545450;

const HEADER_SIZE = 8;

/** Reader states: between frames or reading a header and command; forwarding a payload; discarding one. */
const State = { Header: 0, Payload: 1, Skip: 2 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * The frame splitter. Not reusable after it has thrown: every later {@link push} throws the same
 * error, because the stream position is lost (the connection must be closed).
 */
export class FrameReader {
  readonly #onFrame: (frame: FrameHeader) => FrameDecision;
  #maxFrameSize: number;
  #maxCommandSize = Number.POSITIVE_INFINITY;
  #state: State = State.Header;
  /** Payload bytes left in the current frame (states Payload and Skip). */
  #remaining = 0;
  /** Header bytes of a frame whose header spans chunks (never forwarded from here); made the first time one does. */
  #header: Buffer | null = null;
  #headerFill = 0;
  /** Header + command of a frame whose command spans chunks; handed to `emit` once complete. */
  #pending: Buffer | null = null;
  #pendingFill = 0;
  /** Frames of the caller's own, sent at the next frame boundary (see {@link insert}); none: undefined. */
  #inserts: Buffer[] | undefined = undefined;
  #failure: unknown = undefined;

  /**
   * @param opts.onFrame the per-frame callback (see {@link FrameReaderOptions.onFrame})
   * @param opts.maxFrameSize the largest accepted totalSize
   * @throws AppError PULSAR_FRAME_INVALID when maxFrameSize is not a positive integer
   */
  constructor(opts: FrameReaderOptions) {
    this.#onFrame = opts.onFrame;
    this.#maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
    if (opts.maxFrameSize !== undefined) this.setMaxFrameSize(opts.maxFrameSize);
    if (opts.maxCommandSize !== undefined) this.setMaxCommandSize(opts.maxCommandSize);
  }

  /**
   * Changes the largest accepted commandSize (Infinity: only the frame size limits it), e.g. lifted
   * once a session is established. Applies from the next frame header read.
   */
  setMaxCommandSize(n: number): void {
    this.#maxCommandSize = n;
  }

  /**
   * Changes the largest accepted totalSize, e.g. to CONNECTED's max_message_size + 10,240.
   * Applies from the next frame header read.
   * @throws AppError PULSAR_FRAME_INVALID when `n` is not a positive integer (a broker announcing
   *   a nonsense limit)
   */
  setMaxFrameSize(n: number): void {
    if (!Number.isSafeInteger(n) || n < HEADER_SIZE) {
      throw new AppError('PULSAR_FRAME_INVALID', `A Pulsar frame could not be parsed: the maximum frame size ${n} is not a usable size; the connection was closed.`);
    }
    this.#maxFrameSize = n;
  }

  /** True when the stream is between frames (no partial frame buffered). */
  get idle(): boolean {
    return this.#state === State.Header && this.#headerFill === 0 && this.#pending === null;
  }

  /**
   * Queues a whole frame of the caller's own (a PING, an AUTH_RESPONSE) to be emitted at the next
   * frame boundary of the stream, i.e. as soon as the frame now in progress has been forwarded,
   * even when reads never end on a boundary. Only for a reader that is not {@link idle} (when it is,
   * the caller can send the frame at once).
   */
  insert(out: Buffer): void {
    (this.#inserts ??= []).push(out);
  }

  /**
   * Feeds bytes; calls `emit` with the bytes to forward, in order (never with an empty buffer).
   * The emitted buffers may be views of `chunk`: the caller must not modify a chunk once pushed.
   * @throws AppError PULSAR_FRAME_TOO_LARGE (totalSize over the maximum, thrown before any of the
   *   frame is buffered), PULSAR_COMMAND_TOO_LARGE (commandSize over its cap, thrown before the
   *   command is buffered), PULSAR_FRAME_INVALID (sizes or command malformed), PULSAR_HTTP_RESPONSE
   *   ("HTTP" where a frame length was expected); also whatever `onFrame` or `emit` throw. After a
   *   throw the reader is unusable.
   * @param emitLater receives, in stream order, the framed result of each `replaceLater` decision
   *   (required when onFrame may return one)
   */
  push(chunk: Buffer, emit: (out: Buffer) => void, emitLater?: (frame: Promise<Buffer>) => void): void {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      this.#push(chunk, emit, emitLater);
    } catch (error) {
      this.#failure = error;
      this.#pending = null;
      throw error;
    }
  }

  #push(chunk: Buffer, emit: (out: Buffer) => void, emitLater: ((frame: Promise<Buffer>) => void) | undefined): void {
    const length = chunk.length;
    let position = 0;
    // Bytes [passStart, position) of this chunk are to be forwarded untouched; they are emitted in
    // one view when something else must be emitted first, or at the end of the chunk.
    let passStart = 0;
    while (position < length) {
      if (this.#inserts !== undefined && this.idle) {
        if (position > passStart) emit(chunk.subarray(passStart, position));
        passStart = position;
        this.#flushInserts(emit);
      }
      if (this.#state === State.Payload) {
        const n = Math.min(this.#remaining, length - position);
        position += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = State.Header;
        continue;
      }
      if (this.#state === State.Skip) {
        if (position > passStart) emit(chunk.subarray(passStart, position));
        const n = Math.min(this.#remaining, length - position);
        position += n;
        passStart = position;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = State.Header;
        continue;
      }
      if (this.#headerFill === 0 && this.#pending === null && length - position >= HEADER_SIZE) {
        // Fast path: the frame starts in this chunk; when its command is here too, no copy at all.
        const totalSize = chunk.readUInt32BE(position);
        if (totalSize === HTTP_FRAME_LENGTH) throw httpResponseError(chunk.subarray(position));
        this.#checkTotalSize(totalSize);
        const commandSize = chunk.readUInt32BE(position + 4);
        this.#checkCommandSize(totalSize, commandSize);
        const commandEnd = position + HEADER_SIZE + commandSize;
        if (commandEnd <= length) {
          const payloadSize = totalSize - 4 - commandSize;
          const decision = this.#decide(totalSize, commandSize, chunk.subarray(position + HEADER_SIZE, commandEnd));
          if (decision !== undefined) {
            if (position > passStart) emit(chunk.subarray(passStart, position));
            passStart = commandEnd;
            if ('replace' in decision) emit(frame(decision.replace, payloadSize));
            else if ('replaceLater' in decision) this.#later(decision.replaceLater, payloadSize, emitLater);
          }
          position = commandEnd;
          this.#startPayload(payloadSize, decision !== undefined && 'drop' in decision);
          continue;
        }
      }
      // Slow path: the header or the command continues in a later chunk. Forward what came
      // before, then assemble this frame's header and command (small, bounded by the maximum).
      if (position > passStart) emit(chunk.subarray(passStart, position));
      position = this.#assemble(chunk, position, emit, emitLater);
      passStart = position;
    }
    // The common case of a stream of untouched frames: the chunk goes on as it came, no view made.
    if (position > passStart) emit(passStart === 0 ? chunk : chunk.subarray(passStart, position));
    if (this.#inserts !== undefined && this.idle) this.#flushInserts(emit);
  }

  #flushInserts(emit: (out: Buffer) => void): void {
    const inserts = this.#inserts ?? [];
    this.#inserts = undefined;
    for (const out of inserts) emit(out);
  }

  /** Copies header/command bytes of a frame that spans chunks; returns the new chunk position. */
  #assemble(chunk: Buffer, start: number, emit: (out: Buffer) => void, emitLater: ((frame: Promise<Buffer>) => void) | undefined): number {
    let position = start;
    const length = chunk.length;
    if (this.#pending === null) {
      const header = (this.#header ??= Buffer.alloc(HEADER_SIZE));
      const n = Math.min(HEADER_SIZE - this.#headerFill, length - position);
      chunk.copy(header, this.#headerFill, position, position + n);
      this.#headerFill += n;
      position += n;
      if (this.#headerFill < 4) return position;
      const totalSize = header.readUInt32BE(0);
      if (totalSize === HTTP_FRAME_LENGTH) throw httpResponseError(Buffer.concat([header.subarray(0, this.#headerFill), chunk.subarray(position, position + 120)]));
      this.#checkTotalSize(totalSize);
      if (this.#headerFill < HEADER_SIZE) return position;
      const commandSize = header.readUInt32BE(4);
      this.#checkCommandSize(totalSize, commandSize);
      // A fresh buffer per frame: it is handed to `emit` as is, so it must never be reused.
      this.#pending = Buffer.allocUnsafe(HEADER_SIZE + commandSize);
      header.copy(this.#pending, 0);
      this.#pendingFill = HEADER_SIZE;
      this.#headerFill = 0;
    }
    const pending = this.#pending;
    const n = Math.min(pending.length - this.#pendingFill, length - position);
    chunk.copy(pending, this.#pendingFill, position, position + n);
    this.#pendingFill += n;
    position += n;
    if (this.#pendingFill < pending.length) return position;
    this.#pending = null;
    const totalSize = pending.readUInt32BE(0);
    const commandSize = pending.length - HEADER_SIZE;
    const payloadSize = totalSize - 4 - commandSize;
    const decision = this.#decide(totalSize, commandSize, pending.subarray(HEADER_SIZE));
    if (decision === undefined) emit(pending);
    else if ('replace' in decision) emit(frame(decision.replace, payloadSize));
    else if ('replaceLater' in decision) this.#later(decision.replaceLater, payloadSize, emitLater);
    this.#startPayload(payloadSize, decision !== undefined && 'drop' in decision);
    return position;
  }

  #later(command: Promise<Buffer>, payloadSize: number, emitLater: ((frame: Promise<Buffer>) => void) | undefined): void {
    if (!emitLater || payloadSize > 0) {
      throw new AppError('TUNNEL_INTERNAL', 'A deferred frame rewrite needs an emitLater callback and a frame without payload.');
    }
    emitLater(command.then((replacement) => frame(replacement)));
  }

  #decide(totalSize: number, commandSize: number, command: Buffer): FrameDecision {
    const type = scanBaseCommandType(command);
    return this.#onFrame({ type, totalSize, commandSize, command, hasPayload: totalSize > commandSize + 4 });
  }

  #startPayload(payloadSize: number, drop: boolean): void {
    if (payloadSize === 0) {
      this.#state = State.Header;
      return;
    }
    this.#remaining = payloadSize;
    this.#state = drop ? State.Skip : State.Payload;
  }

  /** Rejects a bad totalSize before anything of the frame is buffered ("HTTP" is checked before). */
  #checkTotalSize(totalSize: number): void {
    if (totalSize > this.#maxFrameSize) {
      throw new AppError('PULSAR_FRAME_TOO_LARGE', `A Pulsar frame of ${totalSize} bytes is larger than the maximum of ${this.#maxFrameSize} bytes (the broker's maxMessageSize + 10240); the connection was closed.`);
    }
    if (totalSize < 5) {
      throw new AppError('PULSAR_FRAME_INVALID', `A Pulsar frame could not be parsed: its totalSize ${totalSize} leaves no room for a command; the connection was closed.`);
    }
  }

  #checkCommandSize(totalSize: number, commandSize: number): void {
    if (commandSize === 0 || commandSize > totalSize - 4) {
      throw new AppError('PULSAR_FRAME_INVALID', `A Pulsar frame could not be parsed: its commandSize ${commandSize} does not fit its totalSize ${totalSize} (1 ≤ commandSize ≤ totalSize - 4); the connection was closed.`);
    }
    if (commandSize > this.#maxCommandSize) {
      throw new AppError(
        'PULSAR_COMMAND_TOO_LARGE',
        `A Pulsar command of ${commandSize} bytes is larger than the ${this.#maxCommandSize} bytes accepted here (before the session is established, a command such as CONNECT is a few hundred bytes, at most ${this.#maxCommandSize} with large auth data); the connection was closed.`,
      );
    }
  }
}

/** Explains "HTTP" where a frame length was expected, quoting the status line when we have it. */
function httpResponseError(bytes: Buffer): AppError {
  const head = bytes.subarray(0, 120).toString('latin1');
  const lineEnd = head.search(/[\r\n]/);
  const statusLine = (lineEnd >= 0 ? head.slice(0, lineEnd) : head).replace(/[^\x20-\x7e]/g, '?');
  return new AppError(
    'PULSAR_HTTP_RESPONSE',
    `The broker side answered in HTTP where a Pulsar frame was expected ("${statusLine}"; the frame length read as "HTTP" = ${HTTP_FRAME_LENGTH}, ` +
      `which Java clients report as "Adjusted frame length exceeds ...: ${HTTP_FRAME_LENGTH + 4}"): ` +
      'the proxy has no route for this server name or its route points at an HTTP port (e.g. the admin port 8080/8443 instead of 6650/6651), or the proxy sent an error page; check the proxy\'s SNI routes.',
  );
}
