import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import protobuf from 'protobufjs/minimal.js';
import { isAppError } from '../../../../shared/errors.ts';
import { parseFields, readUint64, rewriteFields } from '../../../../src-main/core/pulsar/wire.ts';

const { Writer } = protobuf;

/** A message of random fields of every wire type (groups with nested fields included). */
const messageArbitrary = fc
  .array(
    fc.tuple(fc.integer({ min: 1, max: 536_870_911 }), fc.integer({ min: 0, max: 4 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 30 })),
    { maxLength: 12 },
  )
  .map((entries) => {
    const w = Writer.create();
    for (const [number, kind, value, bytes] of entries) {
      if (kind === 0) w.uint32(number << 3).uint64(value.toString());
      else if (kind === 1) w.uint32((number << 3) | 1).fixed64(value.toString());
      else if (kind === 2) w.uint32((number << 3) | 2).bytes(bytes);
      else if (kind === 3) w.uint32((number << 3) | 5).fixed32(Number(value & 0xffffffffn));
      else w.uint32((number << 3) | 3).uint32(8).uint64(value.toString()).uint32((number << 3) | 4);
    }
    return { bytes: Buffer.from(w.finish()), count: entries.length };
  });

describe('wire field ranges', () => {
  it('lists fields whose byte ranges tile the message exactly, and a rewrite without edits is the identity', () => {
    fc.assert(
      fc.property(messageArbitrary, ({ bytes, count }) => {
        const fields = parseFields(bytes, 'Test');
        expect(fields).toHaveLength(count);
        let offset = 0;
        for (const field of fields) {
          expect(field.start).toBe(offset);
          expect(field.valueStart).toBeGreaterThan(field.start);
          expect(field.end).toBeGreaterThanOrEqual(field.valueStart);
          offset = field.end;
        }
        expect(offset).toBe(bytes.length);
        expect(rewriteFields(bytes, fields, new Map()).equals(bytes)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('reads 64-bit varints exactly: numbers while safe, bigints above', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (value) => {
        const bytes = Buffer.from(Writer.create().uint32(8).uint64(value.toString()).finish());
        const read = readUint64(bytes, parseFields(bytes, 'Test')[0]!, 'Test');
        expect(BigInt(read)).toBe(value);
        expect(typeof read).toBe(value <= BigInt(Number.MAX_SAFE_INTEGER) ? 'number' : 'bigint');
      }),
    );
  });

  it('puts a replaced field where it first was, drops its repeats, and appends new fields', () => {
    const w = Writer.create();
    w.uint32((1 << 3) | 2).string('a').uint32(2 << 3).uint32(5).uint32((1 << 3) | 2).string('b').uint32((3 << 3) | 2).string('keep');
    const bytes = Buffer.from(w.finish());
    const out = rewriteFields(bytes, parseFields(bytes, 'Test'), new Map([[1, { string: 'new' }], [2, null], [9, { bool: true }]]));
    const expected = Buffer.from(Writer.create().uint32((1 << 3) | 2).string('new').uint32((3 << 3) | 2).string('keep').uint32(9 << 3).bool(true).finish());
    expect(out.equals(expected)).toBe(true);
  });

  it('throws PULSAR_FRAME_INVALID, naming the message, for malformed bytes', () => {
    for (const bad of [[0x0a, 0x05, 0x01], [0x08], [0x0c], [0x00, 0x01], [0x0b, 0x08, 0x01]]) {
      let error: unknown;
      try {
        parseFields(Buffer.from(bad), 'CommandExample');
      } catch (e) {
        error = e;
      }
      expect(isAppError(error) && error.code, Buffer.from(bad).toString('hex')).toBe('PULSAR_FRAME_INVALID');
      expect((error as Error).message).toContain('CommandExample');
    }
  });
});
