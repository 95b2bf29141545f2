/**
 * The fuzz engine behind `npm run fuzz`: seeded random and mutated Pulsar frame streams through
 * FrameReader and the command rewriters, each fed whole and in random chunks. A case fails when
 * anything but an AppError with a stream code escapes, when a valid stream is rejected, or when a
 * split changes the outcome (output bytes, or the error and the bytes forwarded before it).
 */
import protobuf from 'protobufjs/minimal.js';
import { isAppError } from '../../../../shared/errors.ts';
import { FrameReader, type FrameDecision, type FrameHeader } from '../../../../src-main/core/pulsar/frameReader.ts';
import * as commands from '../../../../src-main/core/pulsar/commands.ts';

const { Writer } = protobuf;

const streamCodes = new Set(['PULSAR_FRAME_TOO_LARGE', 'PULSAR_FRAME_INVALID', 'PULSAR_HTTP_RESPONSE']);

/** mulberry32: a small, fast, seedable PRNG (the fuzz needs speed and reproducibility, not quality). */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = (this.next() * 256) | 0;
    return out;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

function fields(build: (w: protobuf.Writer) => void): Buffer {
  const w = Writer.create();
  build(w);
  return Buffer.from(w.finish());
}

/** Unknown fields of every wire type, appended to a message to check they survive rewrites. */
function unknownFields(random: Random, minNumber: number): Buffer {
  return fields((w) => {
    const count = random.int(0, 2);
    for (let i = 0; i < count; i++) {
      const number = random.int(minNumber, minNumber + 5000);
      switch (random.int(0, 4)) {
        case 0:
          w.uint32(number << 3).uint64(random.int(0, 2 ** 31));
          break;
        case 1:
          w.uint32((number << 3) | 1).raw(random.bytes(8));
          break;
        case 2:
          w.uint32((number << 3) | 2).bytes(random.bytes(random.int(0, 20)));
          break;
        case 3:
          w.uint32((number << 3) | 3).uint32(8).uint32(random.int(0, 1000)).uint32((number << 3) | 4);
          break;
        default:
          w.uint32((number << 3) | 5).raw(random.bytes(4));
      }
    }
  });
}

function base(type: number, sub: Buffer, random: Random): Buffer {
  return fields((w) => {
    w.uint32(8).uint32(type);
    w.uint32((type << 3) | 2).bytes(sub);
    w.raw(unknownFields(random, 200));
  });
}

const url = (random: Random): string => `pulsar+ssl://broker-${random.int(0, 9)}.internal:6651`;

/** A valid command of a random kind, with unknown fields sprinkled in. */
function randomCommand(random: Random): { command: Buffer; payload: number } {
  const extra = unknownFields(random, 100);
  switch (random.int(0, 11)) {
    case 0:
      return { command: base(2, fields((w) => { w.uint32(10).string('fuzz-client'); w.uint32(32).int32(random.int(0, 21)); if (random.chance(0.5)) w.uint32(50).string('broker-1:6651'); if (random.chance(0.5)) w.uint32(82).bytes(fields((f) => f.uint32(8).bool(random.chance(0.5)))); w.raw(extra); }), random), payload: 0 };
    case 1:
      return { command: base(3, fields((w) => { w.uint32(10).string('broker'); w.uint32(16).int32(21); if (random.chance(0.5)) w.uint32(24).int32(random.int(1, 10_000_000)); w.raw(extra); }), random), payload: 0 };
    case 2:
      return { command: base(23, fields((w) => { w.uint32(10).string(`persistent://t/n/${random.int(0, 99)}`); w.uint32(16).uint64(random.int(0, 2 ** 40)); w.raw(extra); }), random), payload: 0 };
    case 3:
      return { command: base(24, fields((w) => { if (random.chance(0.8)) w.uint32(10).string(url(random)); if (random.chance(0.8)) w.uint32(18).string(url(random)); w.uint32(24).uint32(random.int(0, 2)); w.uint32(32).uint64(random.int(0, 2 ** 40)); w.raw(extra); }), random), payload: 0 };
    case 4:
      return { command: base(random.pick([15, 16]), fields((w) => { w.uint32(8).uint64(random.int(0, 1000)); w.uint32(16).uint64(random.int(0, 1000)); if (random.chance(0.5)) w.uint32(26).string(url(random)); w.raw(extra); }), random), payload: 0 };
    case 5:
      return { command: base(68, fields((w) => { w.uint32(8).uint64(random.int(0, 1000)); w.uint32(16).uint32(random.int(0, 1)); w.uint32(26).string(url(random)); w.raw(extra); }), random), payload: 0 };
    case 6:
      return { command: base(random.pick([18, 19]), Buffer.alloc(0), random), payload: 0 };
    case 7:
      return { command: base(6, fields((w) => { w.uint32(8).uint64(1); w.uint32(16).uint64(random.int(0, 1e6)); }), random), payload: random.chance(0.02) ? random.int(1, 200_000) : random.int(1, 400) };
    case 8:
      return { command: base(9, fields((w) => { w.uint32(8).uint64(7); w.uint32(18).bytes(fields((m) => { m.uint32(8).uint64(1); m.uint32(16).uint64(2); })); }), random), payload: random.int(1, 400) };
    case 9:
      return { command: base(36, fields((w) => { w.uint32(18).bytes(fields((a) => { a.uint32(10).string('token'); a.uint32(18).bytes(Buffer.from('PulsarAuthRefresh')); })); }), random), payload: 0 };
    case 10:
      return { command: base(random.int(70, 81), random.bytes(random.int(0, 30)), random), payload: 0 };
    default:
      return random.chance(0.5)
        ? { command: base(4, fields((w) => { w.uint32(10).string('topic'); w.uint32(18).string('sub'); w.uint32(24).uint32(1); w.uint32(32).uint64(2); w.uint32(40).uint64(3); w.raw(extra); }), random), payload: 0 }
        : { command: base(5, fields((w) => { w.uint32(10).string('topic'); w.uint32(16).uint64(2); w.uint32(24).uint64(3); w.raw(extra); }), random), payload: 0 };
  }
}

function framed(command: Buffer, payload: Buffer | undefined): Buffer {
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32BE(4 + command.length + (payload?.length ?? 0), 0);
  header.writeUInt32BE(command.length, 4);
  return payload ? Buffer.concat([header, command, payload]) : Buffer.concat([header, command]);
}

function validStream(random: Random): Buffer {
  const frames: Buffer[] = [];
  const count = random.int(1, 8);
  for (let i = 0; i < count; i++) {
    const { command, payload } = randomCommand(random);
    frames.push(framed(command, payload > 0 ? Buffer.alloc(payload, random.int(0, 255)) : undefined));
  }
  return Buffer.concat(frames);
}

function mutate(stream: Buffer, random: Random): Buffer {
  let out = Buffer.from(stream);
  const count = random.int(1, 4);
  for (let i = 0; i < count; i++) {
    const at = random.int(0, out.length);
    switch (random.int(0, 3)) {
      case 0:
        if (at < out.length) out[at] = random.int(0, 255);
        break;
      case 1:
        out = Buffer.concat([out.subarray(0, at), random.bytes(random.int(1, 8)), out.subarray(at)]);
        break;
      case 2:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + random.int(1, 8))]);
        break;
      default:
        // Corrupt a size field: small, huge, or "HTTP".
        if (at + 4 <= out.length) out.writeUInt32BE(random.pick([0, 1, 4, random.int(0, 300), 0xffffffff, 0x48545450]), at);
    }
  }
  return out;
}

/** Framed random command bytes: reaches the BaseCommand check and the command readers. */
function randomCommandStream(random: Random): Buffer {
  const frames: Buffer[] = [];
  const count = random.int(1, 4);
  for (let i = 0; i < count; i++) {
    const command = random.chance(0.5) ? Buffer.concat([Buffer.from([0x08, random.int(0, 90)]), random.bytes(random.int(0, 40))]) : random.bytes(random.int(1, 40));
    frames.push(framed(command, random.chance(0.2) ? random.bytes(random.int(1, 50)) : undefined));
  }
  return Buffer.concat(frames);
}

const localUrl = 'pulsar://127.0.0.1:40001';

/** The tunnel's decisions: rewrite every broker URL, inject credentials, swallow PONG. */
function tunnelDecision(header: FrameHeader): FrameDecision {
  switch (header.type) {
    case 2: {
      commands.readConnect(header.command);
      return { replace: commands.rewriteConnect(header.command, { stripProxyToBrokerUrl: true, injectAuth: { methodName: 'token', data: Buffer.from('jwt') }, enableAuthRefresh: true }) };
    }
    case 3:
      commands.readConnected(header.command);
      return undefined;
    case 4:
      commands.readSubscribe(header.command);
      return undefined;
    case 5:
      commands.readProducer(header.command);
      return undefined;
    case 15:
    case 16: {
      const close = commands.readCloseProducerOrConsumer(header.command);
      if (close.assignedBrokerServiceUrl === undefined && close.assignedBrokerServiceUrlTls === undefined) return undefined;
      return { replace: commands.rewriteCloseProducerOrConsumer(header.command, { assignedBrokerServiceUrl: localUrl, assignedBrokerServiceUrlTls: localUrl }) };
    }
    case 19:
      return { drop: true };
    case 23:
      commands.readLookup(header.command);
      return undefined;
    case 24:
      commands.readLookupResponse(header.command);
      return { replace: commands.rewriteLookupResponse(header.command, { brokerServiceUrl: localUrl, brokerServiceUrlTls: localUrl, proxyThroughServiceUrl: true }) };
    case 36:
      commands.readAuthChallenge(header.command);
      return undefined;
    case 68:
      commands.readTopicMigrated(header.command);
      return { replace: commands.rewriteTopicMigrated(header.command, { brokerServiceUrl: localUrl, brokerServiceUrlTls: localUrl }) };
    default:
      return undefined;
  }
}

interface Outcome {
  output: Buffer;
  error?: string;
  message?: string;
  idle: boolean;
}

/** Feeds the chunks; a stream error becomes `error`, anything else propagates. */
function feed(chunks: readonly Buffer[], maxFrameSize: number): Outcome {
  const emitted: Buffer[] = [];
  const reader = new FrameReader({ onFrame: tunnelDecision, maxFrameSize });
  const emit = (out: Buffer): void => void emitted.push(out);
  try {
    for (const chunk of chunks) reader.push(chunk, emit);
  } catch (error) {
    if (isAppError(error) && streamCodes.has(error.code)) return { output: Buffer.concat(emitted), error: error.code, message: error.message, idle: false };
    throw error;
  }
  return { output: Buffer.concat(emitted), idle: reader.idle };
}

function randomChunks(stream: Buffer, random: Random): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  // Byte-sized pieces split every header and varint; kept to short streams so cases stay fast.
  const tiny = stream.length < 5000 && random.chance(0.3);
  while (offset < stream.length) {
    const size = tiny ? random.int(1, 9) : random.chance(0.5) ? random.int(1, 64) : random.int(1, 70_000);
    chunks.push(stream.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/** One fuzz case's result: undefined when it passed, else what went wrong and the stream. */
export type CaseFailure = { kind: string; reason: string; stream: Buffer } | undefined;

/**
 * Runs one case from its seed.
 * @returns undefined on success, or a failure description
 */
export function runCase(seed: number): CaseFailure {
  const random = new Random(seed);
  const roll = random.next();
  const kind = roll < 0.4 ? 'valid' : roll < 0.75 ? 'mutated' : roll < 0.9 ? 'random-command' : 'random-bytes';
  let stream: Buffer;
  if (kind === 'valid') stream = validStream(random);
  else if (kind === 'mutated') stream = mutate(validStream(random), random);
  else if (kind === 'random-command') stream = randomCommandStream(random);
  else stream = random.bytes(random.int(0, 120));
  const maxFrameSize = kind !== 'valid' && random.chance(0.1) ? random.int(8, 2000) : 5_253_116;
  try {
    const whole = feed([stream], maxFrameSize);
    const split = feed(randomChunks(stream, random), maxFrameSize);
    if (kind === 'valid') {
      if (whole.error || split.error) return { kind, reason: `valid stream rejected: ${whole.message ?? split.message}`, stream };
      if (!whole.idle || !split.idle) return { kind, reason: 'valid stream left a partial frame', stream };
      if (!whole.output.equals(split.output)) return { kind, reason: 'split changed the output', stream };
      return undefined;
    }
    // Whatever the stream, a split must not change what happens: the same error (or none), and
    // forwarded bytes that agree (one is a prefix of the other, as an error cuts a chunk short).
    if (whole.error !== split.error) return { kind, reason: `split changed the error: ${whole.error} vs ${split.error}`, stream };
    if (!whole.error && !whole.output.equals(split.output)) return { kind, reason: 'split changed the output', stream };
    const [shorter, longer] = whole.output.length <= split.output.length ? [whole.output, split.output] : [split.output, whole.output];
    if (!longer.subarray(0, shorter.length).equals(shorter)) return { kind, reason: 'split changed the forwarded bytes before the error', stream };
    return undefined;
  } catch (error) {
    return { kind, reason: `non-AppError escaped: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, stream };
  }
}
