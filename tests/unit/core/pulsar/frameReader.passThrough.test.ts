/**
 * The reader's fast path for untouched traffic: a read holding only bytes it does not change (payload
 * of a MESSAGE, whole untouched frames) goes on as the very chunk it came in, with no view and no copy,
 * while a rewritten command behind a big MESSAGE is still found and rewritten wherever the reads fall.
 */
import { describe, expect, it } from 'vitest';
import { FrameReader, type FrameDecision, type FrameHeader } from '../../../../src-main/core/pulsar/frameReader.ts';
import { frame, rewriteLookupResponse } from '../../../../src-main/core/pulsar/commands.ts';
import { baseCommand, lookupResponseCommand, rawFrame, sendCommand } from './frames.ts';

const lookupRewrite = { brokerServiceUrl: 'pulsar://127.0.0.1:40001', brokerServiceUrlTls: 'pulsar://127.0.0.1:40001', proxyThroughServiceUrl: true };
const LOOKUP_RESPONSE = 24;
const decide = (header: FrameHeader): FrameDecision => (header.type === LOOKUP_RESPONSE ? { replace: rewriteLookupResponse(header.command, lookupRewrite) } : undefined);

/** A MESSAGE-sized frame (a SEND command: the reader treats every payload frame alike). */
const big = rawFrame(sendCommand(1, 7), Buffer.alloc(20_000, 0x5a));
const lookup = lookupResponseCommand(42, 'broker-1.test');
const after = rawFrame(baseCommand(18));
const stream = Buffer.concat([big, rawFrame(lookup), after]);
const expected = Buffer.concat([big, frame(rewriteLookupResponse(lookup, lookupRewrite)), after]);

function push(chunks: Buffer[]): { emitted: Buffer[]; frames: number[] } {
  const emitted: Buffer[] = [];
  const frames: number[] = [];
  const reader = new FrameReader({
    onFrame: (header) => {
      frames.push(header.type);
      return decide(header);
    },
  });
  for (const chunk of chunks) reader.push(chunk, (out) => emitted.push(out));
  return { emitted, frames };
}

describe('untouched bytes pass through as the chunks they came in', () => {
  it('rewrites a lookup that follows a big MESSAGE in the same read, for a cut at every offset of the stream', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const { emitted, frames } = push([stream.subarray(0, cut), stream.subarray(cut)].filter((chunk) => chunk.length > 0));
      const output = Buffer.concat(emitted);
      if (!output.equals(expected)) throw new Error(`a cut at offset ${cut} of ${stream.length} gives ${output.length} bytes that differ from the expected ${expected.length}`);
      expect(frames).toEqual([6, LOOKUP_RESPONSE, 18]);
    }
  });

  it('rewrites it for three-way cuts around every boundary of the lookup frame', () => {
    const start = big.length;
    const end = big.length + rawFrame(lookup).length;
    for (let first = start - 10; first <= end + 10; first++) {
      for (let second = first + 1; second <= end + 12; second++) {
        const { emitted } = push([stream.subarray(0, first), stream.subarray(first, second), stream.subarray(second)].filter((chunk) => chunk.length > 0));
        expect(Buffer.concat(emitted).equals(expected)).toBe(true);
      }
    }
  });

  it('hands on a read of payload bytes, or of whole untouched frames, as the same Buffer object', () => {
    const untouched = Buffer.concat([rawFrame(sendCommand(1, 1), Buffer.alloc(100)), rawFrame(sendCommand(1, 2), Buffer.alloc(100))]);
    const payloadOnly = big.subarray(1_000, 17_000);
    const reader = new FrameReader({ onFrame: decide });
    const emitted: Buffer[] = [];
    reader.push(untouched, (out) => emitted.push(out));
    reader.push(big.subarray(0, 1_000), (out) => emitted.push(out));
    reader.push(payloadOnly, (out) => emitted.push(out));
    expect(emitted[0]).toBe(untouched);
    expect(emitted[2]).toBe(payloadOnly);
  });

  it('hands on only a view of the part before a rewritten command, never the whole chunk', () => {
    const chunk = Buffer.concat([big.subarray(10_000), rawFrame(lookup)]);
    const reader = new FrameReader({ onFrame: decide });
    reader.push(big.subarray(0, 10_000), () => undefined);
    const emitted: Buffer[] = [];
    reader.push(chunk, (out) => emitted.push(out));
    expect(emitted).toHaveLength(2);
    expect(emitted[0]).not.toBe(chunk);
    expect(emitted[0]!.equals(big.subarray(10_000))).toBe(true);
    expect(emitted[1]!.equals(frame(rewriteLookupResponse(lookup, lookupRewrite)))).toBe(true);
  });
});
