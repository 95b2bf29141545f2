/**
 * Test helpers: builders for Pulsar frames and commands, written from the protocol facts with
 * protobufjs's Writer (independent of the wire.ts rewriter under test), and fast-check
 * arbitraries for frame streams.
 */
import fc from 'fast-check';
import protobuf from 'protobufjs/minimal.js';

const { Writer } = protobuf;

/** A BaseCommand of `type` whose sub-command (field `type`) has the given bytes. */
export function baseCommand(type: number, sub: Uint8Array = new Uint8Array(0)): Buffer {
  const writer = Writer.create();
  writer.uint32((1 << 3) | 0).uint32(type);
  writer.uint32((type << 3) | 2).bytes(sub);
  return Buffer.from(writer.finish());
}

/** A frame: `[totalSize][commandSize][command][payload]`. */
export function rawFrame(command: Uint8Array, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(4 + command.length + payload.length, 0);
  header.writeUInt32BE(command.length, 4);
  return Buffer.concat([header, command, payload]);
}

/** Field writers for building sub-commands by hand. */
export const field = {
  string: (w: protobuf.Writer, n: number, v: string) => w.uint32((n << 3) | 2).string(v),
  bytes: (w: protobuf.Writer, n: number, v: Uint8Array) => w.uint32((n << 3) | 2).bytes(v),
  varint: (w: protobuf.Writer, n: number, v: number) => w.uint32((n << 3) | 0).uint32(v),
  uint64: (w: protobuf.Writer, n: number, v: number | string) => w.uint32((n << 3) | 0).uint64(v),
  bool: (w: protobuf.Writer, n: number, v: boolean) => w.uint32((n << 3) | 0).bool(v),
};

/** Builds message bytes with a Writer. */
export function message(build: (w: protobuf.Writer) => void): Buffer {
  const writer = Writer.create();
  build(writer);
  return Buffer.from(writer.finish());
}

/** A LOOKUP_RESPONSE command pointing at `broker`. */
export function lookupResponseCommand(requestId: number, broker: string): Buffer {
  return baseCommand(
    24,
    message((w) => {
      field.string(w, 1, `pulsar://${broker}:6650`);
      field.string(w, 2, `pulsar+ssl://${broker}:6651`);
      field.varint(w, 3, 1);
      field.uint64(w, 4, requestId);
      field.bool(w, 5, true);
    }),
  );
}

/** A CONNECT command. */
export function connectCommand(opts: { clientVersion?: string; proxyToBrokerUrl?: string; authRefresh?: boolean } = {}): Buffer {
  return baseCommand(
    2,
    message((w) => {
      field.string(w, 1, opts.clientVersion ?? 'test-client 1.0');
      field.varint(w, 4, 21);
      if (opts.proxyToBrokerUrl) field.string(w, 6, opts.proxyToBrokerUrl);
      if (opts.authRefresh !== undefined) field.bytes(w, 10, message((f) => field.bool(f, 1, opts.authRefresh!)));
    }),
  );
}

/** A SEND command (payload follows in the frame). */
export function sendCommand(producerId: number, sequenceId: number): Buffer {
  return baseCommand(
    6,
    message((w) => {
      field.uint64(w, 1, producerId);
      field.uint64(w, 2, sequenceId);
    }),
  );
}

/** One generated frame: its command, payload size, and the byte used to fill the payload. */
export interface FrameSpec {
  kind: 'lookupResponse' | 'connect' | 'ping' | 'pong' | 'send' | 'message' | 'unknown';
  command: Buffer;
  payloadSize: number;
  fill: number;
}

/** The frame's bytes. */
export function specBytes(spec: FrameSpec): Buffer {
  return rawFrame(spec.command, spec.payloadSize > 0 ? Buffer.alloc(spec.payloadSize, spec.fill) : undefined);
}

/** Arbitrary frames: rewritable, droppable and untouched ones, with payloads up to `maxPayload`. */
export function frameSpec(maxPayload: number): fc.Arbitrary<FrameSpec> {
  const fill = fc.integer({ min: 0, max: 255 });
  const payloadSize = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: maxPayload }) });
  return fc.oneof(
    fc.record({ requestId: fc.nat(), broker: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/) }).map(({ requestId, broker }) => ({ kind: 'lookupResponse' as const, command: lookupResponseCommand(requestId, broker), payloadSize: 0, fill: 0 })),
    fc.string({ maxLength: 30 }).map((clientVersion) => ({ kind: 'connect' as const, command: connectCommand({ clientVersion, proxyToBrokerUrl: 'broker-1:6651' }), payloadSize: 0, fill: 0 })),
    fc.constant({ kind: 'ping' as const, command: baseCommand(18), payloadSize: 0, fill: 0 }),
    fc.constant({ kind: 'pong' as const, command: baseCommand(19), payloadSize: 0, fill: 0 }),
    fc.record({ p: fc.nat(1000), s: fc.nat(), payloadSize, fill }).map(({ p, s, payloadSize: size, fill: f }) => ({ kind: 'send' as const, command: sendCommand(p, s), payloadSize: size, fill: f })),
    fc.record({ payloadSize, fill }).map(({ payloadSize: size, fill: f }) => ({ kind: 'message' as const, command: baseCommand(9, message((w) => field.uint64(w, 1, 7))), payloadSize: size, fill: f })),
    fc.record({ type: fc.integer({ min: 70, max: 200 }), body: fc.uint8Array({ maxLength: 40 }) }).map(({ type, body }) => ({ kind: 'unknown' as const, command: baseCommand(type, message((w) => field.bytes(w, 99, body))), payloadSize: 0, fill: 0 })),
  );
}

/** Cuts `stream` at the given offsets (any order, duplicates allowed) into chunks. */
export function cut(stream: Buffer, offsets: readonly number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => Math.max(0, Math.min(stream.length, o))))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const point of points) {
    if (point > last) chunks.push(stream.subarray(last, point));
    last = point;
  }
  if (last < stream.length) chunks.push(stream.subarray(last));
  return chunks;
}
