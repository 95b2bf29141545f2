import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameReader, type FrameDecision, type FrameHeader } from '../../../../src-main/core/pulsar/frameReader.ts';
import { frame, rewriteConnect, rewriteLookupResponse } from '../../../../src-main/core/pulsar/commands.ts';
import { baseCommand, cut, frameSpec, rawFrame, sendCommand, specBytes, type FrameSpec } from './frames.ts';

const lookupRewrite = { brokerServiceUrl: 'pulsar://127.0.0.1:40001', brokerServiceUrlTls: 'pulsar://127.0.0.1:40001', proxyThroughServiceUrl: true };

/** The decisions a tunnel makes: rewrite lookups and CONNECT, drop PONG, forward the rest. */
function decide(header: FrameHeader): FrameDecision {
  if (header.type === 24) return { replace: rewriteLookupResponse(header.command, lookupRewrite) };
  if (header.type === 2) return { replace: rewriteConnect(header.command, { stripProxyToBrokerUrl: true }) };
  if (header.type === 19) return { drop: true };
  return undefined;
}

/** What the stream must become, computed frame by frame without the reader. */
function expectedOutput(specs: readonly FrameSpec[]): Buffer {
  return Buffer.concat(
    specs.map((spec) => {
      if (spec.kind === 'lookupResponse') return frame(rewriteLookupResponse(spec.command, lookupRewrite));
      if (spec.kind === 'connect') return frame(rewriteConnect(spec.command, { stripProxyToBrokerUrl: true }));
      if (spec.kind === 'pong') return Buffer.alloc(0);
      return specBytes(spec);
    }),
  );
}

function run(chunks: readonly Buffer[]): { output: Buffer; headers: FrameHeader[]; emitted: Buffer[]; idle: boolean } {
  const headers: FrameHeader[] = [];
  const emitted: Buffer[] = [];
  const reader = new FrameReader({
    onFrame: (header) => {
      headers.push({ ...header, command: Buffer.from(header.command) });
      return decide(header);
    },
  });
  for (const chunk of chunks) reader.push(chunk, (out) => emitted.push(out));
  return { output: Buffer.concat(emitted), headers, emitted, idle: reader.idle };
}

/** Chunk boundaries: mostly tiny pieces (to split headers and varints), some large ones. */
const chunkSizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 70_000 })), { minLength: 1, maxLength: 40 });

function chunksOf(stream: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (let index = 0; offset < stream.length; index++) {
    const size = sizes[index % sizes.length]!;
    chunks.push(stream.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

describe('FrameReader splitting', () => {
  it('gives the same output for any split or packing of a valid stream, equal to rewriting frame by frame', () => {
    fc.assert(
      fc.property(fc.array(frameSpec(4096), { minLength: 1, maxLength: 25 }), chunkSizes, (specs, sizes) => {
        const stream = Buffer.concat(specs.map(specBytes));
        const whole = run([stream]);
        const split = run(chunksOf(stream, sizes));
        const expected = expectedOutput(specs);
        expect(whole.output.equals(expected)).toBe(true);
        expect(split.output.equals(expected)).toBe(true);
        expect(split.idle).toBe(true);
        expect(split.headers.map((h) => [h.type, h.totalSize, h.commandSize, h.hasPayload])).toEqual(
          specs.map((s) => [s.command.readUInt8(1), 4 + s.command.length + s.payloadSize, s.command.length, s.payloadSize > 0]),
        );
        expect(split.emitted.every((b) => b.length > 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same output for streams with payloads up to 1 MB cut at arbitrary offsets', () => {
    fc.assert(
      fc.property(fc.array(frameSpec(1_048_576), { minLength: 1, maxLength: 6 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }), (specs, fractions) => {
        const stream = Buffer.concat(specs.map(specBytes));
        const split = run(cut(stream, fractions.map((f) => Math.floor(f * stream.length))));
        expect(split.output.equals(expectedOutput(specs))).toBe(true);
        expect(split.idle).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('forwards a 1 MB payload as views of the input chunks, announcing the frame before any payload byte', () => {
    const payload = Buffer.alloc(1_048_576, 0xab);
    const stream = rawFrame(sendCommand(1, 2), payload);
    const chunks = chunksOf(stream, [65_536]);
    const emitted: Buffer[] = [];
    let emittedBeforeFrame = -1;
    const reader = new FrameReader({
      onFrame: () => {
        emittedBeforeFrame = emitted.reduce((sum, b) => sum + b.length, 0);
        return undefined;
      },
    });
    for (const chunk of chunks) {
      const before = emitted.length;
      reader.push(chunk, (out) => emitted.push(out));
      // Every byte of a chunk is forwarded during its own push (nothing of the payload is held back)...
      expect(emitted.slice(before).reduce((sum, b) => sum + b.length, 0)).toBe(chunk.length);
      // ...as one view of that chunk's memory, not a copy.
      expect(emitted.length - before).toBe(1);
      expect(emitted[before]!.buffer).toBe(chunk.buffer);
    }
    expect(emittedBeforeFrame).toBe(0);
    expect(Buffer.concat(emitted).equals(stream)).toBe(true);
    expect(reader.idle).toBe(true);
  });

  it('coalesces consecutive untouched frames of one chunk into a single view', () => {
    const stream = Buffer.concat(Array.from({ length: 50 }, (_, i) => rawFrame(sendCommand(1, i), Buffer.alloc(100, i))));
    const emitted: Buffer[] = [];
    new FrameReader({ onFrame: () => undefined }).push(stream, (out) => emitted.push(out));
    expect(emitted).toHaveLength(1);
    expect(emitted[0]!.buffer).toBe(stream.buffer);
  });

  it('skips the payload of a dropped frame across chunks and keeps the frames around it', () => {
    const before = rawFrame(baseCommand(18));
    const dropped = rawFrame(sendCommand(3, 4), Buffer.alloc(200_000, 1));
    const after = rawFrame(baseCommand(13));
    const stream = Buffer.concat([before, dropped, after]);
    const emitted: Buffer[] = [];
    const reader = new FrameReader({ onFrame: (h) => (h.type === 6 ? { drop: true } : undefined) });
    for (const chunk of chunksOf(stream, [7, 1000, 65_536])) reader.push(chunk, (out) => emitted.push(out));
    expect(Buffer.concat(emitted).equals(Buffer.concat([before, after]))).toBe(true);
  });

  it('re-frames a replaced command that carries a payload with the payload size kept in totalSize', () => {
    const payload = Buffer.alloc(5000, 7);
    const replacement = sendCommand(123456789, 42);
    const emitted: Buffer[] = [];
    const reader = new FrameReader({ onFrame: () => ({ replace: replacement }) });
    for (const chunk of chunksOf(rawFrame(sendCommand(1, 2), payload), [3, 17, 900])) reader.push(chunk, (out) => emitted.push(out));
    expect(Buffer.concat(emitted).equals(rawFrame(replacement, payload))).toBe(true);
  });

  it('is not idle while a frame is partly read, and idle again once it is complete', () => {
    const stream = rawFrame(sendCommand(1, 2), Buffer.alloc(10));
    const reader = new FrameReader({ onFrame: () => undefined });
    const sink = (): void => {};
    expect(reader.idle).toBe(true);
    reader.push(stream.subarray(0, 3), sink);
    expect(reader.idle).toBe(false);
    reader.push(stream.subarray(3, stream.length - 1), sink);
    expect(reader.idle).toBe(false);
    reader.push(stream.subarray(stream.length - 1), sink);
    expect(reader.idle).toBe(true);
  });
});
