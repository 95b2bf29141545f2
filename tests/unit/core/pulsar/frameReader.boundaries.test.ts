/**
 * The frame reader at the edges the splitting properties reach only by chance: a limit given to
 * the constructor, a dropped frame whose command spans reads, "idle" while a command is being
 * assembled, the frames a caller inserts between the stream's frames, and a reader that failed.
 */
import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../../../src-main/core/pulsar/frameReader.ts';
import { baseCommand, rawFrame, sendCommand } from './frames.ts';

const collect = (reader: FrameReader, chunks: Buffer[]) => {
  const out: Buffer[] = [];
  for (const chunk of chunks) reader.push(chunk, (piece) => out.push(Buffer.from(piece)));
  return Buffer.concat(out);
};
const header = (totalSize: number, commandSize = 1) => {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32BE(totalSize, 0);
  bytes.writeUInt32BE(commandSize, 4);
  return bytes;
};

describe('the maximum frame size', () => {
  it('is the constructor\'s when given', () => {
    const reader = new FrameReader({ onFrame: () => undefined, maxFrameSize: 100 });
    expect(() => reader.push(header(101), () => undefined)).toThrow(expect.objectContaining({ code: 'PULSAR_FRAME_TOO_LARGE' }));
    const exact = new FrameReader({ onFrame: () => undefined, maxFrameSize: 100 });
    expect(() => exact.push(header(100), () => undefined)).not.toThrow();
    // Also when the header comes byte by byte (the slow path).
    const slow = new FrameReader({ onFrame: () => undefined, maxFrameSize: 100 });
    expect(() => [...header(101)].forEach((byte) => slow.push(Buffer.from([byte]), () => undefined))).toThrow(expect.objectContaining({ code: 'PULSAR_FRAME_TOO_LARGE' }));
  });

  it('refuses a limit that is no size, in the constructor as in setMaxFrameSize', () => {
    for (const bad of [0, 7, 8.5, Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      expect(() => new FrameReader({ onFrame: () => undefined, maxFrameSize: bad })).toThrow(expect.objectContaining({ code: 'PULSAR_FRAME_INVALID' }));
    }
    expect(() => new FrameReader({ onFrame: () => undefined, maxFrameSize: 8 })).not.toThrow();
  });
});

describe('a dropped frame', () => {
  it('forwards none of its header, command or payload when its command spans reads', () => {
    const before = rawFrame(baseCommand(18));
    const dropped = rawFrame(sendCommand(3, 4), Buffer.alloc(300, 9));
    const after = rawFrame(baseCommand(13));
    const stream = Buffer.concat([before, dropped, after]);
    for (const cutAt of [before.length + 2, before.length + 9, before.length + 12]) {
      const reader = new FrameReader({ onFrame: (h) => (h.type === 6 ? { drop: true } : undefined) });
      const out = collect(reader, [stream.subarray(0, cutAt), stream.subarray(cutAt, cutAt + 100), stream.subarray(cutAt + 100)]);
      expect(out.equals(Buffer.concat([before, after]))).toBe(true);
    }
  });
});

describe('idle', () => {
  it('is false from the first header byte until the command and payload are through', () => {
    const command = sendCommand(1, 2);
    const stream = rawFrame(command, Buffer.alloc(4));
    for (let cutAt = 1; cutAt < stream.length; cutAt++) {
      const reader = new FrameReader({ onFrame: () => undefined });
      reader.push(stream.subarray(0, cutAt), () => undefined);
      expect(reader.idle).toBe(false);
      reader.push(stream.subarray(cutAt), () => undefined);
      expect(reader.idle).toBe(true);
    }
  });
});

describe('inserted frames', () => {
  const own = rawFrame(baseCommand(18));
  const first = rawFrame(sendCommand(1, 1), Buffer.alloc(50, 1));
  const second = rawFrame(baseCommand(13));

  it('go out right after the frame in progress, within the read that completes it', () => {
    const stream = Buffer.concat([first, second]);
    for (let cutAt = 1; cutAt < first.length; cutAt++) {
      const reader = new FrameReader({ onFrame: () => undefined });
      const out: Buffer[] = [];
      reader.push(stream.subarray(0, cutAt), (piece) => out.push(Buffer.from(piece)));
      reader.insert(own);
      // The rest arrives in one read that ends inside the next frame: the insert must not wait for a read ending on a boundary.
      reader.push(stream.subarray(cutAt, stream.length - 1), (piece) => out.push(Buffer.from(piece)));
      expect(Buffer.concat(out).equals(Buffer.concat([first, own]))).toBe(true);
      reader.push(stream.subarray(stream.length - 1), (piece) => out.push(Buffer.from(piece)));
      expect(Buffer.concat(out).equals(Buffer.concat([first, own, second]))).toBe(true);
    }
  });

  it('go out at the end of the read that completes the frame, in the order inserted', () => {
    const reader = new FrameReader({ onFrame: () => undefined });
    const out: Buffer[] = [];
    reader.push(first.subarray(0, 10), (piece) => out.push(Buffer.from(piece)));
    reader.insert(own);
    reader.insert(second);
    reader.push(first.subarray(10), (piece) => out.push(Buffer.from(piece)));
    expect(Buffer.concat(out).equals(Buffer.concat([first, own, second]))).toBe(true);
    expect(reader.idle).toBe(true);
  });

  it('wait behind a dropped frame\'s payload too', () => {
    const reader = new FrameReader({ onFrame: (h) => (h.type === 6 ? { drop: true } : undefined) });
    const out: Buffer[] = [];
    reader.push(first.subarray(0, 30), (piece) => out.push(Buffer.from(piece)));
    reader.insert(own);
    reader.push(first.subarray(30, 40), (piece) => out.push(Buffer.from(piece)));
    expect(out).toEqual([]);
    reader.push(Buffer.concat([first.subarray(40), second]), (piece) => out.push(Buffer.from(piece)));
    expect(Buffer.concat(out).equals(Buffer.concat([own, second]))).toBe(true);
  });
});

describe('a reader that failed', () => {
  it('throws the same error on every later push', () => {
    const reader = new FrameReader({ onFrame: () => undefined });
    let first: unknown;
    try {
      reader.push(header(3), () => undefined);
    } catch (error) {
      first = error;
    }
    expect(first).toMatchObject({ code: 'PULSAR_FRAME_INVALID' });
    expect(() => reader.push(rawFrame(baseCommand(18)), () => undefined)).toThrow(first as Error);
  });

  it('rejects a deferred rewrite it cannot place: no emitLater, or a payload behind it', () => {
    const later = { replaceLater: Promise.resolve(baseCommand(13)) };
    expect(() => new FrameReader({ onFrame: () => later }).push(rawFrame(baseCommand(24)), () => undefined)).toThrow(expect.objectContaining({ code: 'TUNNEL_INTERNAL' }));
    const withPayload = new FrameReader({ onFrame: () => later });
    expect(() => withPayload.push(rawFrame(sendCommand(1, 1), Buffer.alloc(3)), () => undefined, () => undefined)).toThrow(expect.objectContaining({ code: 'TUNNEL_INTERNAL' }));
  });
});
