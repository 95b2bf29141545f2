/**
 * The protobuf field layer, case by case: which wire types a message may hold (groups and fixed
 * widths kept, wire types 6 and 7 and field 0 refused), a BaseCommand's type found wherever it sits,
 * each reader refusing a field of the wrong wire type, and every value kind written so that an
 * independent decoder reads it back. Bytes are built with protobufjs's Writer, not the code under test.
 */
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import {
  encodeFields,
  lastField,
  parseFields,
  readBool,
  readBytes,
  readInt32,
  readString,
  readUint32,
  readUint64,
  rewriteFields,
  scanBaseCommandType,
  WireType,
} from '../../../../src-main/core/pulsar/wire.ts';

const { Writer, Reader } = protobuf;
const bytes = (build: (w: protobuf.Writer) => void) => {
  const writer = Writer.create();
  build(writer);
  return Buffer.from(writer.finish());
};
const invalid = expect.objectContaining({ code: 'PULSAR_FRAME_INVALID' });

describe('parseFields', () => {
  it('lists every wire type a message may hold, a group as one field', () => {
    const message = bytes((w) => {
      w.uint32((1 << 3) | 0).uint32(300);
      w.uint32((2 << 3) | 1).fixed64(7);
      w.uint32((3 << 3) | 2).string('abc');
      w.uint32((4 << 3) | 3).uint32((1 << 3) | 0).uint32(1).uint32((4 << 3) | 4);
      w.uint32((5 << 3) | 5).fixed32(9);
    });
    const fields = parseFields(message, 'Test');
    expect(fields.map((f) => [f.number, f.wireType])).toEqual([
      [1, WireType.varint],
      [2, 1],
      [3, WireType.lengthDelimited],
      [4, 3],
      [5, 5],
    ]);
    expect(fields[2]).toMatchObject({ valueStart: fields[2]!.start + 2, end: fields[2]!.start + 5 });
    expect(fields.at(-1)!.end).toBe(message.length);
  });

  it('refuses field number 0, a lone end-group and wire types 6 and 7, naming the message', () => {
    for (const tag of [0 << 3, (1 << 3) | 4, (1 << 3) | 6, (1 << 3) | 7]) {
      expect(() => parseFields(bytes((w) => w.uint32(tag).uint32(1)), 'CommandThing')).toThrow(expect.objectContaining({ code: 'PULSAR_FRAME_INVALID', message: expect.stringContaining('CommandThing') }));
    }
  });

  it('refuses a length running past the end, keeping the decoder\'s error as the cause', () => {
    const truncated = bytes((w) => w.uint32((1 << 3) | 2).uint32(10)).subarray(0);
    expect(() => parseFields(Buffer.concat([truncated, Buffer.from('abc')]), 'Test')).toThrow(expect.objectContaining({ code: 'PULSAR_FRAME_INVALID', cause: expect.any(Error) }));
  });
});

describe('scanBaseCommandType', () => {
  it('finds the type after other fields, the last one winning', () => {
    expect(scanBaseCommandType(bytes((w) => w.uint32((23 << 3) | 2).bytes(Buffer.from('x')).uint32(8).uint32(23)))).toBe(23);
    expect(scanBaseCommandType(bytes((w) => w.uint32(8).uint32(2).uint32(8).uint32(3)))).toBe(3);
    expect(scanBaseCommandType(bytes((w) => w.uint32(8).uint32(0)))).toBe(0);
  });

  it('refuses a command without a varint type, or with a bad field anywhere', () => {
    expect(() => scanBaseCommandType(bytes((w) => w.uint32((1 << 3) | 2).string('2')))).toThrow(invalid);
    expect(() => scanBaseCommandType(Buffer.alloc(0))).toThrow(invalid);
    expect(() => scanBaseCommandType(bytes((w) => w.uint32(8).uint32(2).uint32(0).uint32(1)))).toThrow(invalid);
    expect(() => scanBaseCommandType(bytes((w) => w.uint32(8).uint32(2).uint32((3 << 3) | 7)))).toThrow(invalid);
    expect(() => scanBaseCommandType(bytes((w) => w.uint32(8).uint32(2).uint32((3 << 3) | 4)))).toThrow(invalid);
    expect(() => scanBaseCommandType(Buffer.from([0x08, 0x80]))).toThrow(expect.objectContaining({ code: 'PULSAR_FRAME_INVALID', cause: expect.any(Error) }));
  });
});

describe('the readers', () => {
  const message = bytes((w) => {
    w.uint32(1 << 3).int32(-5);
    w.uint32((2 << 3) | 2).string('héllo');
    w.uint32(3 << 3).bool(true);
    w.uint32(1 << 3).uint32(7);
  });
  const fields = parseFields(message, 'Test');

  it('read each kind, and lastField takes the last occurrence', () => {
    expect(readInt32(message, fields[0]!, 'Test')).toBe(-5);
    expect(readUint32(message, fields[0]!, 'Test')).toBe(2 ** 32 - 5);
    expect(readString(message, fields[1]!, 'Test')).toBe('héllo');
    expect(readBytes(message, fields[1]!, 'Test').toString()).toBe('héllo');
    expect(readBool(message, fields[2]!, 'Test')).toBe(true);
    expect(lastField(fields, 1)).toBe(fields[3]);
    expect(lastField(fields, 2)).toBe(fields[1]);
    expect(lastField(fields, 9)).toBeUndefined();
  });

  it('refuse a field of the wrong wire type, naming the message', () => {
    const named = expect.objectContaining({ code: 'PULSAR_FRAME_INVALID', message: expect.stringContaining('CommandX') });
    for (const read of [readUint32, readInt32, readUint64, readBool]) expect(() => read(message, fields[1]!, 'CommandX')).toThrow(named);
    for (const read of [readString, readBytes]) expect(() => read(message, fields[0]!, 'CommandX')).toThrow(named);
  });

  it('refuse a truncated varint', () => {
    const field = { number: 1, wireType: WireType.varint, start: 0, valueStart: 1, end: 2 };
    expect(() => readUint32(Buffer.from([0x08, 0x80]), field, 'Test')).toThrow(invalid);
  });
});

describe('writing', () => {
  it('writes every value kind with its wire type, readable by an independent decoder', () => {
    const message = encodeFields([
      [1, { string: 'é' }],
      [2, { bytes: Buffer.from([1, 2]) }],
      [3, { message: Buffer.from([8, 1]) }],
      [4, { bool: true }],
      [5, { uint32: 4_000_000_000 }],
      [6, { int32: -2 }],
      [7, { uint64: 5 }],
    ]);
    const reader = Reader.create(message);
    const read: unknown[] = [];
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const number = tag >>> 3;
      read.push([number, tag & 7]);
      if (number === 1) read.push(reader.string());
      else if (number <= 3) read.push([...reader.bytes()]);
      else if (number === 4) read.push(reader.bool());
      else if (number === 5) read.push(reader.uint32());
      else if (number === 6) read.push(reader.int32());
      else read.push(Number(reader.uint64()));
    }
    expect(read).toEqual([[1, 2], 'é', [2, 2], [1, 2], [3, 2], [8, 1], [4, 0], true, [5, 0], 4_000_000_000, [6, 0], -2, [7, 0], 5]);
  });

  it('removes every occurrence of a field edited to null, and adds an absent one at the end', () => {
    const message = bytes((w) => w.uint32(8).uint32(1).uint32(16).uint32(2).uint32(8).uint32(3));
    const rewritten = rewriteFields(message, parseFields(message, 'Test'), new Map([[1, null], [5, { uint32: 9 }], [6, null]]));
    expect([...rewritten]).toEqual([16, 2, 40, 9]);
  });
});
