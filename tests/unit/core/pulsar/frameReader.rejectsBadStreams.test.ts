import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isAppError } from '../../../../shared/errors.ts';
import { FrameReader, DEFAULT_MAX_FRAME_SIZE, type FrameDecision, type FrameHeader } from '../../../../src-main/core/pulsar/frameReader.ts';
import * as commands from '../../../../src-main/core/pulsar/commands.ts';
import { scanBaseCommandType } from '../../../../src-main/core/pulsar/wire.ts';
import { baseCommand, cut, frameSpec, message, field, rawFrame, sendCommand, specBytes } from './frames.ts';

const streamCodes = ['PULSAR_FRAME_TOO_LARGE', 'PULSAR_FRAME_INVALID', 'PULSAR_HTTP_RESPONSE'];

/** Every reader and rewriter applied to a command: each may only fail with PULSAR_FRAME_INVALID. */
function exerciseCommand(command: Buffer): FrameDecision {
  const attempts: Array<() => unknown> = [
    () => scanBaseCommandType(command),
    () => commands.readConnect(command),
    () => commands.rewriteConnect(command, { stripProxyToBrokerUrl: true, injectAuth: { methodName: 'token', data: Buffer.from('jwt') }, enableAuthRefresh: true }),
    () => commands.readConnected(command),
    () => commands.readLookup(command),
    () => commands.readLookupResponse(command),
    () => commands.rewriteLookupResponse(command, { brokerServiceUrl: 'pulsar://127.0.0.1:1', brokerServiceUrlTls: 'pulsar://127.0.0.1:1', proxyThroughServiceUrl: true }),
    () => commands.readCloseProducerOrConsumer(command),
    () => commands.rewriteCloseProducerOrConsumer(command, { assignedBrokerServiceUrl: 'a', assignedBrokerServiceUrlTls: 'b' }),
    () => commands.readTopicMigrated(command),
    () => commands.rewriteTopicMigrated(command, { brokerServiceUrl: 'a', brokerServiceUrlTls: 'b' }),
    () => commands.readProducer(command),
    () => commands.readSubscribe(command),
    () => commands.readAuthChallenge(command),
  ];
  for (const attempt of attempts) {
    try {
      attempt();
    } catch (error) {
      if (!isAppError(error) || error.code !== 'PULSAR_FRAME_INVALID') throw error;
    }
  }
  return undefined;
}

/** Feeds chunks; returns the AppError code it stopped with, or undefined. Rethrows anything else. */
function feed(chunks: readonly Buffer[], onFrame: (h: FrameHeader) => FrameDecision = (h) => exerciseCommand(h.command)): string | undefined {
  const reader = new FrameReader({ onFrame });
  for (const chunk of chunks) {
    try {
      reader.push(chunk, () => {});
    } catch (error) {
      if (!isAppError(error) || !streamCodes.includes(error.code)) throw error;
      // The reader stays failed: the connection must be closed.
      expect(() => reader.push(Buffer.from([0]), () => {})).toThrow(error as Error);
      return error.code;
    }
  }
  return undefined;
}

function pushAll(reader: FrameReader, chunks: readonly Buffer[], emitted: Buffer[]): unknown {
  try {
    for (const chunk of chunks) reader.push(chunk, (out) => emitted.push(out));
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('FrameReader rejects bad streams', () => {
  it('never throws anything but AppError with a stream code on random bytes in random chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(400)), (bytes, offsets) => {
        feed(cut(Buffer.from(bytes), offsets));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but AppError with a stream code on mutated valid streams, nor from the command readers', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
    );
    fc.assert(
      fc.property(fc.array(frameSpec(2000), { minLength: 1, maxLength: 8 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(20_000)), (specs, mutations, offsets) => {
        let stream = Buffer.concat(specs.map(specBytes));
        for (const m of mutations) {
          const at = m.at % (stream.length + 1);
          if (m.kind === 'flip' && at < stream.length) stream[at] = m.value;
          else if (m.kind === 'insert') stream = Buffer.concat([stream.subarray(0, at), m.bytes, stream.subarray(at)]);
          else if (m.kind === 'delete') stream = Buffer.concat([stream.subarray(0, at), stream.subarray(at + m.count)]);
        }
        feed(cut(stream, offsets));
      }),
      { numRuns: 1500 },
    );
  });

  it('explains an HTTP answer where a frame length is expected, however it is split, quoting the status line', () => {
    const http = Buffer.from('HTTP/1.0 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>no route</html>');
    for (const stream of [http, Buffer.concat([rawFrame(baseCommand(3, message((w) => field.string(w, 1, 'broker')))), http])]) {
      for (const size of [1, 2, 3, 4, 5, 9, stream.length]) {
        const chunks = cut(stream, Array.from({ length: Math.ceil(stream.length / size) }, (_, i) => i * size));
        const reader = new FrameReader({ onFrame: () => undefined });
        const error = pushAll(reader, chunks, []);
        expect(isAppError(error) && error.code).toBe('PULSAR_HTTP_RESPONSE');
        // The raw length, and the "adjusted frame length" Java clients log for it.
        expect((error as Error).message).toContain('1213486160');
        expect((error as Error).message).toContain('1213486164');
        // The status line is quoted from the bytes at hand, complete when it arrived in one piece.
        if (size === stream.length) expect((error as Error).message).toContain('HTTP/1.0 400 Bad Request');
      }
    }
  });

  it('rejects a frame over the maximum as soon as its length is read, before buffering any of it', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(DEFAULT_MAX_FRAME_SIZE + 1, 0);
    const frames: FrameHeader[] = [];
    const emitted: Buffer[] = [];
    const reader = new FrameReader({ onFrame: (h) => void frames.push(h) });
    const ok = rawFrame(baseCommand(18));
    const error = pushAll(reader, [ok, header.subarray(0, 2), header.subarray(2)], emitted);
    expect(isAppError(error) && error.code).toBe('PULSAR_FRAME_TOO_LARGE');
    expect((error as Error).message).toContain(String(DEFAULT_MAX_FRAME_SIZE + 1));
    // The good frame before it went through; the bad one was never shown nor forwarded.
    expect(frames).toHaveLength(1);
    expect(Buffer.concat(emitted).equals(ok)).toBe(true);
  });

  it('accepts a frame of exactly the maximum and rejects one byte more after setMaxFrameSize', () => {
    const payload = Buffer.alloc(1000);
    const frameBytes = rawFrame(sendCommand(1, 1), payload);
    const totalSize = frameBytes.readUInt32BE(0);
    const atLimit = new FrameReader({ onFrame: () => undefined, maxFrameSize: totalSize });
    expect(pushAll(atLimit, [frameBytes], [])).toBeUndefined();
    const reader = new FrameReader({ onFrame: () => undefined });
    reader.setMaxFrameSize(totalSize - 1);
    const error = pushAll(reader, [frameBytes.subarray(0, 4)], []);
    expect(isAppError(error) && error.code).toBe('PULSAR_FRAME_TOO_LARGE');
  });

  it('rejects a command over maxCommandSize as soon as the header is read, and accepts it once the cap is lifted', () => {
    const big = rawFrame(baseCommand(18), Buffer.alloc(0));
    const commandSize = big.readUInt32BE(4);
    const frames: FrameHeader[] = [];
    const reader = new FrameReader({ onFrame: (h) => void frames.push(h), maxCommandSize: commandSize - 1 });
    const error = pushAll(reader, [big.subarray(0, 8)], []);
    expect(isAppError(error) && error.code).toBe('PULSAR_COMMAND_TOO_LARGE');
    expect(frames).toHaveLength(0);
    const lifted = new FrameReader({ onFrame: (h) => void frames.push(h), maxCommandSize: commandSize - 1 });
    lifted.setMaxCommandSize(Number.POSITIVE_INFINITY);
    expect(pushAll(lifted, [big], [])).toBeUndefined();
    expect(frames).toHaveLength(1);
  });

  it('rejects bad command sizes and commands that are not a BaseCommand with a type', () => {
    const withSizes = (totalSize: number, commandSize: number, rest: Buffer): Buffer => {
      const header = Buffer.alloc(8);
      header.writeUInt32BE(totalSize, 0);
      header.writeUInt32BE(commandSize, 4);
      return Buffer.concat([header, rest]);
    };
    const noType = message((w) => field.string(w, 2, 'x'));
    const cases: Array<[string, Buffer]> = [
      ['commandSize larger than the frame', withSizes(10, 7, Buffer.alloc(6))],
      ['commandSize 0', withSizes(4, 0, Buffer.alloc(0))],
      ['totalSize too small', withSizes(2, 0, Buffer.alloc(0))],
      ['no type field', rawFrame(noType)],
      ['truncated protobuf', rawFrame(Buffer.from([0x08, 0x02, 0x12, 0x05, 0x0a]))],
      ['field number 0', rawFrame(Buffer.from([0x08, 0x02, 0x00, 0x01]))],
      ['wire type 7', rawFrame(Buffer.from([0x08, 0x02, 0x0f]))],
    ];
    for (const [name, stream] of cases) {
      const error = pushAll(new FrameReader({ onFrame: () => undefined }), [stream], []);
      expect(isAppError(error) && error.code, name).toBe('PULSAR_FRAME_INVALID');
    }
  });

  it('rejects a nonsense maximum frame size', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      let error: unknown;
      try {
        new FrameReader({ onFrame: () => undefined }).setMaxFrameSize(bad);
      } catch (e) {
        error = e;
      }
      expect(isAppError(error) && error.code).toBe('PULSAR_FRAME_INVALID');
    }
  });
});
