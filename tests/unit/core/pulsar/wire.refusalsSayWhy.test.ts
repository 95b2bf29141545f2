/**
 * What the protobuf field layer says when it refuses bytes, and the limits of its number handling.
 * A refusal the tunnel makes itself (field number 0, a wire type no message may hold, a field of the
 * wrong wire type) names the message, the field and the offset, and carries no `cause`; a refusal
 * of the protobuf decoder keeps the decoder's error as its `cause` and quotes it. A BaseCommand's
 * type is only ever its field 1 read as a varint. uint64 values are numbers up to 2^53 - 1 and
 * bigints from 2^53 on, read and written exactly up to 2^64 - 1.
 */
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { encodeFields, lastField, parseFields, readString, readUint32, readUint64, scanBaseCommandType, WireType } from '../../../../src-main/core/pulsar/wire.ts';

const { Writer, Reader } = protobuf;
const bytes = (build: (w: protobuf.Writer) => void) => {
  const writer = Writer.create();
  build(writer);
  return Buffer.from(writer.finish());
};

function refusal(action: () => unknown): Error & { code?: string; cause?: unknown } {
  try {
    action();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a refusal');
}

describe('a refusal of the tunnel\'s own', () => {
  it('names the message and the offset of a field numbered 0, without a cause', () => {
    const error = refusal(() => parseFields(bytes((w) => w.uint32(8).uint32(2).uint32(0).uint32(1)), 'CommandThing'));
    expect(error).toMatchObject({ code: 'PULSAR_FRAME_INVALID' });
    expect(error.message).toMatch(/CommandThing: field number 0 at offset 2\b/);
    expect(error).not.toHaveProperty('cause');
  });

  it('names the wire type and the field of a wire type no message may hold, without a cause', () => {
    for (const wireType of [WireType.endGroup, 6, 7]) {
      const error = refusal(() => parseFields(bytes((w) => w.uint32(8).uint32(2).uint32((9 << 3) | wireType)), 'CommandThing'));
      expect(error.message).toMatch(new RegExp(`CommandThing: unexpected wire type ${wireType} for field 9 at offset 2\\b`));
      expect(error).not.toHaveProperty('cause');
    }
  });

  it('in a BaseCommand, names a field numbered 0, a bad wire type and a missing type, without a cause', () => {
    const zero = refusal(() => scanBaseCommandType(bytes((w) => w.uint32(8).uint32(2).uint32(0).uint32(1))));
    expect(zero.message).toMatch(/BaseCommand: field number 0/);
    expect(zero).not.toHaveProperty('cause');
    const bad = refusal(() => scanBaseCommandType(bytes((w) => w.uint32(8).uint32(2).uint32((5 << 3) | 6))));
    expect(bad.message).toMatch(/BaseCommand: unexpected wire type 6 for field 5/);
    expect(bad).not.toHaveProperty('cause');
    const untyped = refusal(() => scanBaseCommandType(bytes((w) => w.uint32((3 << 3) | 0).uint32(1))));
    expect(untyped.message).toMatch(/BaseCommand: the required field "type" \(1\) is missing/);
    expect(untyped).not.toHaveProperty('cause');
  });

  it('names the field, its wire type and the one expected when a reader gets the wrong kind', () => {
    const message = bytes((w) => w.uint32((4 << 3) | 2).string('x'));
    const [field] = parseFields(message, 'CommandY');
    const error = refusal(() => readUint32(message, field!, 'CommandY'));
    expect(error.message).toMatch(/CommandY: field 4 has wire type 2, expected 0/);
    expect(refusal(() => readString(bytes((w) => w.uint32(4 << 3).uint32(1)), { number: 4, wireType: 0, start: 0, valueStart: 1, end: 2 }, 'CommandY')).message).toMatch(
      /field 4 has wire type 0, expected 2/,
    );
  });
});

describe('a refusal of the protobuf decoder', () => {
  it('quotes the decoder\'s reason and keeps its error as the cause', () => {
    const truncated = Buffer.concat([bytes((w) => w.uint32((1 << 3) | 2).uint32(10)), Buffer.from('abc')]);
    const error = refusal(() => parseFields(truncated, 'CommandZ'));
    expect(error.message).toMatch(/CommandZ: malformed protobuf \(.+\)/);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.message).toContain((error.cause as Error).message);
    const scan = refusal(() => scanBaseCommandType(Buffer.from([0x08, 0x80])));
    expect(scan.message).toMatch(/BaseCommand: malformed protobuf \(.+\)/);
    expect(scan.message).toContain((scan.cause as Error).message);
  });

  it('names the field of a malformed varint and quotes the decoder', () => {
    const error = refusal(() => readUint32(Buffer.from([0x08, 0x80]), { number: 1, wireType: WireType.varint, start: 0, valueStart: 1, end: 2 }, 'CommandV'));
    expect(error.message).toMatch(/CommandV: field 1 is malformed \(.+\)/);
    expect(error.message).toContain((error.cause as Error).message);
  });
});

describe('a BaseCommand\'s type', () => {
  it('is field 1 read as a varint: other varints, and field 1 of another wire type, are not it', () => {
    expect(scanBaseCommandType(bytes((w) => w.uint32(8).uint32(2).uint32(3 << 3).uint32(5)))).toBe(2);
    expect(scanBaseCommandType(bytes((w) => w.uint32(3 << 3).uint32(5).uint32(8).uint32(2)))).toBe(2);
    // A fixed32 and a fixed64 field are kept as unknown fields, not refused.
    expect(scanBaseCommandType(bytes((w) => w.uint32((3 << 3) | 5).fixed32(7).uint32(8).uint32(4).uint32((6 << 3) | 1).fixed64(1)))).toBe(4);
    // A length-delimited field 1 is skipped whole: its content does not look like a type.
    expect(scanBaseCommandType(bytes((w) => w.uint32(8).uint32(3).uint32((1 << 3) | 2).bytes(Buffer.from([0x08, 0x17]))))).toBe(3);
  });
});

describe('lastField', () => {
  it('finds a field that occurs once, first in the message', () => {
    const message = bytes((w) => w.uint32(8).uint32(1).uint32(16).uint32(2));
    const fields = parseFields(message, 'Test');
    expect(lastField(fields, 1)).toBe(fields[0]);
  });
});

describe('uint64 values', () => {
  const read = (value: bigint) => {
    const message = bytes((w) => w.uint32(8).uint64(value.toString()));
    return readUint64(message, parseFields(message, 'Test')[0]!, 'Test');
  };

  it('are numbers below 2^53 (high bits included) and bigints from 2^53 on', () => {
    expect(read(2n ** 32n + 5n)).toBe(4_294_967_301);
    expect(read(2n ** 53n - 1n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(read(2n ** 53n)).toBe(2n ** 53n);
    expect(read(2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
  });

  it('are written exactly, as a number or as a bigint up to 2^64 - 1', () => {
    for (const value of [0, 7, Number.MAX_SAFE_INTEGER, 2n ** 53n, 2n ** 63n + 1n, 2n ** 64n - 1n]) {
      const reader = Reader.create(encodeFields([[1, { uint64: value }]]));
      expect(reader.uint32()).toBe(8);
      expect(BigInt(String(reader.uint64()))).toBe(BigInt(value));
    }
  });
});
