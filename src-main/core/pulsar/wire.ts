/**
 * Protobuf wire-level helpers over protobufjs's Reader/Writer for the Pulsar commands the tunnel
 * reads or rewrites. The tunnel never decodes a whole message with a schema: it lists a message's
 * fields with their byte ranges, reads the few it needs, and rebuilds a message by copying every
 * other field's bytes untouched. That is how a rewrite keeps fields it does not know (newer
 * protocol versions, vendor extensions) byte for byte, as the proto2 rules of docs/pulsar-protocol.md
 * ("proto2 rules for a rewriter") require.
 */
import protobuf from 'protobufjs/minimal.js';
import { AppError } from '../../../shared/errors.ts';

const { Reader, Writer } = protobuf;
type ProtoReader = protobuf.Reader;

/** Protobuf wire types (https://protobuf.dev/programming-guides/encoding/#structure). */
export const WireType = {
  varint: 0,
  fixed64: 1,
  lengthDelimited: 2,
  startGroup: 3,
  endGroup: 4,
  fixed32: 5,
} as const;

/** One field occurrence inside a message, with its byte ranges in that message. */
export interface WireField {
  /** The field number. */
  number: number;
  /** The wire type (see {@link WireType}). */
  wireType: number;
  /** Offset of the field's tag: the field's bytes are `[start, end)`. */
  start: number;
  /** Offset of the value: the varint itself, or the content after a length prefix. */
  valueStart: number;
  /** Offset just past the field. */
  end: number;
}

/** A 64-bit unsigned value: a number when it is a safe integer, a bigint above 2^53 - 1. */
export type Uint64 = number | bigint;

/** A new value for a field in {@link rewriteFields}; `null` removes every occurrence. */
export type FieldValue =
  | { string: string }
  | { bytes: Uint8Array }
  | { bool: boolean }
  | { uint32: number }
  | { int32: number }
  | { uint64: Uint64 }
  | { message: Uint8Array }
  | null;

/**
 * One Reader reused for every read: positioning it over a buffer costs no allocation, which matters
 * because the frame reader checks every command on the hot path. Single-threaded use only, and no
 * function here calls out while the reader is positioned, so reuse is safe.
 */
const scratch: ProtoReader = Reader.create(new Uint8Array(0));

function position(buf: Uint8Array, start: number, end: number): ProtoReader {
  scratch.buf = buf;
  scratch.pos = start;
  scratch.len = end;
  scratch.view = null;
  return scratch;
}

/** Releases the scratch reader's reference so a large command can be garbage collected. */
function release(): void {
  scratch.buf = emptyBytes;
  scratch.pos = 0;
  scratch.len = 0;
}
const emptyBytes = new Uint8Array(0);

function invalid(what: string, detail: string, cause?: unknown): AppError {
  return new AppError('PULSAR_FRAME_INVALID', `A Pulsar frame could not be parsed: ${what}: ${detail}; the connection was closed.`, cause === undefined ? undefined : { cause });
}

function describeCause(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Lists the fields of a protobuf message in wire order, with their byte ranges. Groups (wire types
 * 3/4) are skipped as a whole, so they are kept like any other unknown field.
 * @param message the message bytes
 * @param what the message's name, used in the error text (e.g. "CommandConnect")
 * @throws AppError PULSAR_FRAME_INVALID when the bytes are not a well-formed protobuf message
 */
export function parseFields(message: Uint8Array, what: string): WireField[] {
  const fields: WireField[] = [];
  const reader = position(message, 0, message.length);
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const tag = reader.tag();
      const number = tag >>> 3;
      const wireType = tag & 7;
      if (number === 0) throw invalid(what, `field number 0 at offset ${start}`);
      if (wireType === WireType.endGroup || wireType > WireType.fixed32) {
        throw invalid(what, `unexpected wire type ${wireType} for field ${number} at offset ${start}`);
      }
      let valueStart = reader.pos;
      if (wireType === WireType.lengthDelimited) {
        const length = reader.size();
        valueStart = reader.pos;
        reader.skip(length);
      } else {
        reader.skipType(wireType, 0, number);
      }
      fields.push({ number, wireType, start, valueStart, end: reader.pos });
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw invalid(what, `malformed protobuf (${describeCause(error)})`, error);
  } finally {
    release();
  }
  return fields;
}

/**
 * Reads the `type` (field 1, a varint) of a BaseCommand after checking that the whole top level
 * is well-formed protobuf. Allocates nothing: this runs once per frame on the hot path.
 * @returns the command type
 * @throws AppError PULSAR_FRAME_INVALID when the bytes are malformed or carry no type
 */
export function scanBaseCommandType(command: Uint8Array): number {
  const reader = position(command, 0, command.length);
  let type = -1;
  try {
    while (reader.pos < reader.len) {
      const tag = reader.tag();
      const number = tag >>> 3;
      const wireType = tag & 7;
      if (number === 0) throw invalid('BaseCommand', 'field number 0');
      if (number === 1 && wireType === WireType.varint) {
        type = reader.uint32();
      } else if (wireType === WireType.endGroup || wireType > WireType.fixed32) {
        throw invalid('BaseCommand', `unexpected wire type ${wireType} for field ${number}`);
      } else {
        reader.skipType(wireType, 0, number);
      }
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw invalid('BaseCommand', `malformed protobuf (${describeCause(error)})`, error);
  } finally {
    release();
  }
  if (type < 0) throw invalid('BaseCommand', 'the required field "type" (1) is missing');
  return type;
}

/** The last occurrence of a field (proto2: for a non-repeated field the last one wins). */
export function lastField(fields: readonly WireField[], number: number): WireField | undefined {
  for (let index = fields.length - 1; index >= 0; index--) {
    const field = fields[index]!;
    if (field.number === number) return field;
  }
  return undefined;
}

function expectWireType(field: WireField, expected: number, what: string): void {
  if (field.wireType !== expected) {
    throw invalid(what, `field ${field.number} has wire type ${field.wireType}, expected ${expected}`);
  }
}

function withReader<T>(message: Uint8Array, field: WireField, what: string, read: (reader: ProtoReader) => T): T {
  const reader = position(message, field.valueStart, field.end);
  try {
    return read(reader);
  } catch (error) {
    throw invalid(what, `field ${field.number} is malformed (${describeCause(error)})`, error);
  } finally {
    release();
  }
}

/**
 * Reads a varint field as an unsigned 32-bit value (int32/uint32/enum; a negative int32 comes
 * back as its two's complement, use {@link readInt32} for those).
 * @throws AppError PULSAR_FRAME_INVALID on a wrong wire type or a malformed varint
 */
export function readUint32(message: Uint8Array, field: WireField, what: string): number {
  expectWireType(field, WireType.varint, what);
  return withReader(message, field, what, (reader) => reader.uint32());
}

/**
 * Reads a varint field as a signed 32-bit value.
 * @throws AppError PULSAR_FRAME_INVALID on a wrong wire type or a malformed varint
 */
export function readInt32(message: Uint8Array, field: WireField, what: string): number {
  expectWireType(field, WireType.varint, what);
  return withReader(message, field, what, (reader) => reader.int32());
}

/**
 * Reads a varint field as an unsigned 64-bit value: a number when safe, else a bigint.
 * @throws AppError PULSAR_FRAME_INVALID on a wrong wire type or a malformed varint
 */
export function readUint64(message: Uint8Array, field: WireField, what: string): Uint64 {
  expectWireType(field, WireType.varint, what);
  const value = withReader(message, field, what, (reader) => reader.uint64() as unknown);
  return toUint64(value);
}

/** Converts what protobufjs returns for a uint64 (a Long when long.js is present, else a number). */
function toUint64(value: unknown): Uint64 {
  if (typeof value === 'number') return value;
  const long = value as { low: number; high: number };
  const high = long.high >>> 0;
  const low = long.low >>> 0;
  // 2^21 * 2^32 = 2^53: below that the value is a safe integer.
  if (high < 0x200000) return high * 0x1_0000_0000 + low;
  return (BigInt(high) << 32n) | BigInt(low);
}

/**
 * Reads a varint field as a bool.
 * @throws AppError PULSAR_FRAME_INVALID on a wrong wire type or a malformed varint
 */
export function readBool(message: Uint8Array, field: WireField, what: string): boolean {
  expectWireType(field, WireType.varint, what);
  return withReader(message, field, what, (reader) => reader.bool());
}

/**
 * Reads a length-delimited field as a UTF-8 string.
 * @throws AppError PULSAR_FRAME_INVALID on a wrong wire type
 */
export function readString(message: Uint8Array, field: WireField, what: string): string {
  expectWireType(field, WireType.lengthDelimited, what);
  return Buffer.from(message.buffer, message.byteOffset + field.valueStart, field.end - field.valueStart).toString('utf8');
}

/**
 * Returns a length-delimited field's content (bytes or an embedded message) as a view of
 * `message`, without copying.
 * @throws AppError PULSAR_FRAME_INVALID on a wrong wire type
 */
export function readBytes(message: Uint8Array, field: WireField, what: string): Buffer {
  expectWireType(field, WireType.lengthDelimited, what);
  return Buffer.from(message.buffer, message.byteOffset + field.valueStart, field.end - field.valueStart);
}

function writeValue(writer: protobuf.Writer, number: number, value: Exclude<FieldValue, null>): void {
  if ('string' in value) {
    writer.uint32((number << 3) | WireType.lengthDelimited).string(value.string);
  } else if ('bytes' in value) {
    writer.uint32((number << 3) | WireType.lengthDelimited).bytes(value.bytes);
  } else if ('message' in value) {
    writer.uint32((number << 3) | WireType.lengthDelimited).bytes(value.message);
  } else if ('bool' in value) {
    writer.uint32((number << 3) | WireType.varint).bool(value.bool);
  } else if ('uint32' in value) {
    writer.uint32((number << 3) | WireType.varint).uint32(value.uint32);
  } else if ('int32' in value) {
    writer.uint32((number << 3) | WireType.varint).int32(value.int32);
  } else {
    const v = value.uint64;
    writer.uint32((number << 3) | WireType.varint).uint64(typeof v === 'bigint' ? v.toString() : v);
  }
}

/**
 * Rebuilds a message with some fields replaced, added or removed, copying every other field's
 * bytes untouched and in their original order. A replaced field takes the place of its first
 * occurrence (later occurrences are dropped); a field that was absent is appended at the end.
 * @param message the original message bytes
 * @param fields its fields, from {@link parseFields}
 * @param edits field number → new value, or `null` to remove the field
 * @returns the new message bytes (a fresh buffer)
 */
export function rewriteFields(message: Uint8Array, fields: readonly WireField[], edits: ReadonlyMap<number, FieldValue>): Buffer {
  const writer = Writer.create();
  const written = new Set<number>();
  for (const field of fields) {
    if (!edits.has(field.number)) {
      writer.raw(message.subarray(field.start, field.end));
      continue;
    }
    if (written.has(field.number)) continue;
    written.add(field.number);
    const value = edits.get(field.number);
    if (value) writeValue(writer, field.number, value);
  }
  for (const [number, value] of edits) {
    if (value && !written.has(number)) writeValue(writer, number, value);
  }
  return writer.finish() as Buffer;
}

/**
 * Builds a message from scratch, field by field (for the few commands the tunnel originates).
 * @param entries field number and value pairs, written in order
 */
export function encodeFields(entries: ReadonlyArray<readonly [number, Exclude<FieldValue, null>]>): Buffer {
  const writer = Writer.create();
  for (const [number, value] of entries) writeValue(writer, number, value);
  return writer.finish() as Buffer;
}
