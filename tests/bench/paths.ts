/**
 * The measured paths and the measurements themselves, shared by the benchmark's sections. Each path
 * is a way for a plain local client to reach the same TLS sink through the same ATS.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { once, withDeadline } from '../fixtures/deadline.ts';

/** Opens a fresh client connection for one measurement. */
export type Connect = () => Promise<net.Socket>;

export function connectPlain(host: string, port: number): Connect {
  return async () => {
    const socket = net.connect({ host, port, noDelay: true });
    await once(socket, 'connect', 10_000);
    return socket;
  };
}

export function connectTlsDirect(host: string, port: number, servername: string, caPem: string): Connect {
  return async () => {
    const socket = tls.connect({ host, port, servername, ca: caPem, ecdhCurve: 'X25519:P-256:P-384', minVersion: 'TLSv1.2' });
    await once(socket, 'secureConnect', 10_000);
    socket.setNoDelay(true);
    return socket;
  };
}

const block = Buffer.alloc(64 * 1024, 0xa5);

/** Sends `bytes` to the sink; resolves with MB/s once the sink confirmed the count. */
export async function upload(connect: Connect, bytes: number): Promise<number> {
  const socket = await connect();
  const answer = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
  const started = performance.now();
  socket.write('U');
  let left = bytes;
  while (left > 0) {
    const piece = left >= block.length ? block : block.subarray(0, left);
    left -= piece.length;
    if (!socket.write(piece)) await once(socket, 'drain', 60_000);
  }
  socket.end();
  const reply = await withDeadline(answer, 120_000, 'the upload count');
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  if (reply.length !== 8 || Number(reply.readBigUInt64BE(0)) !== bytes) throw new Error(`upload: the sink counted ${reply.length === 8 ? reply.readBigUInt64BE(0) : '?'} bytes, not ${bytes}`);
  return bytes / 1e6 / seconds;
}

/**
 * Receives `bytes` from the sink; resolves with MB/s. With `slow`, the reader pauses after every
 * MiB (a slow consumer), and `onMiB` is called as it goes.
 */
export async function download(connect: Connect, bytes: number, options: { pauseMsPerMiB?: number; onMiB?: () => void } = {}): Promise<number> {
  const socket = await connect();
  const request = Buffer.alloc(9);
  request.write('D');
  request.writeBigUInt64BE(BigInt(bytes), 1);
  const started = performance.now();
  let received = 0;
  let nextMiB = 1 << 20;
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= nextMiB) {
        nextMiB += 1 << 20;
        options.onMiB?.();
        if (options.pauseMsPerMiB) {
          socket.pause();
          setTimeout(() => socket.resume(), options.pauseMsPerMiB);
        }
      }
    });
    socket.once('end', () => resolve());
    socket.once('error', reject);
  });
  socket.write(request);
  await withDeadline(done, 600_000, 'the download');
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  if (received !== bytes) throw new Error(`download: received ${received} bytes, not ${bytes}`);
  return bytes / 1e6 / seconds;
}

/** p50 and p99 of round-trip samples in µs. */
export function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.floor(sorted.length * 0.99)]! };
}

/** Round trips of `size`-byte messages through the echo mode, in µs (after an unrecorded warm-up). */
export async function pingPongSamples(connect: Connect, rounds: number, size = 100): Promise<number[]> {
  const socket = await connect();
  const message = Buffer.alloc(size, 0x42);
  socket.write('E');
  const samples: number[] = [];
  let pending: (() => void) | undefined;
  let got = 0;
  socket.on('data', (chunk: Buffer) => {
    got += chunk.length;
    if (got >= size && pending) {
      got -= size;
      const resolve = pending;
      pending = undefined;
      resolve();
    }
  });
  const warmup = Math.min(200, Math.floor(rounds / 10));
  for (let i = 0; i < rounds + warmup; i++) {
    const answered = new Promise<void>((resolve) => (pending = resolve));
    const started = process.hrtime.bigint();
    socket.write(message);
    await withDeadline(answered, 10_000, 'an echo');
    if (i >= warmup) samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  socket.destroy();
  return samples;
}

/** Resident set size of a process in MB, from /proc. */
export async function rssMb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
  return kb / 1024;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Reads whole Pulsar frames off a socket; resolves each wait with the frames' count. */
class FrameCounter {
  #buffered: Buffer = Buffer.alloc(0);
  #frames = 0;
  #bytes = 0;
  #waiter: { frames: number; resolve: () => void } | undefined;
  constructor(socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#bytes += chunk.length;
      this.#buffered = this.#buffered.length ? Buffer.concat([this.#buffered, chunk]) : chunk;
      let at = 0;
      while (this.#buffered.length - at >= 4) {
        const total = this.#buffered.readUInt32BE(at);
        if (this.#buffered.length - at < 4 + total) break;
        at += 4 + total;
        this.#frames++;
      }
      this.#buffered = this.#buffered.subarray(at);
      if (this.#waiter && this.#frames >= this.#waiter.frames) {
        const { resolve } = this.#waiter;
        this.#waiter = undefined;
        resolve();
      }
    });
  }
  get bytes(): number {
    return this.#bytes;
  }
  /** Resolves once `frames` frames in total have arrived. */
  until(frames: number, what: string, timeoutMs = 60_000): Promise<void> {
    if (this.#frames >= frames) return Promise.resolve();
    return withDeadline(new Promise<void>((resolve) => (this.#waiter = { frames, resolve })), timeoutMs, what);
  }
}

async function pulsarSession(connect: Connect): Promise<{ socket: net.Socket; frames: FrameCounter }> {
  const { connectFrame } = await import('./pulsarFrames.ts');
  const socket = await connect();
  const frames = new FrameCounter(socket);
  socket.write(connectFrame);
  await frames.until(1, 'CONNECTED');
  return { socket, frames };
}

/** Sends `bytes` as SEND frames of 64 KiB payload; MB/s until the broker's PONG to a final PING. */
export async function pulsarUpload(connect: Connect, bytes: number): Promise<number> {
  const { sendFrame, pingFrame } = await import('./pulsarFrames.ts');
  const { socket, frames } = await pulsarSession(connect);
  const started = performance.now();
  let sent = 0;
  for (let sequence = 0; sent < bytes; sequence++) {
    const out = sendFrame(sequence, block);
    sent += block.length;
    if (!socket.write(out)) await once(socket, 'drain', 60_000);
  }
  socket.write(pingFrame);
  await frames.until(2, 'the PONG after the upload', 120_000);
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  return bytes / 1e6 / seconds;
}

/** Receives `bytes` as MESSAGE frames of 64 KiB payload (asked for with one FLOW); MB/s. */
export async function pulsarDownload(connect: Connect, bytes: number): Promise<number> {
  const { flowFrame } = await import('./pulsarFrames.ts');
  const { socket, frames } = await pulsarSession(connect);
  const count = Math.ceil(bytes / block.length);
  const started = performance.now();
  socket.write(flowFrame(count));
  await frames.until(1 + count, 'the MESSAGE frames', 600_000);
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  return (count * block.length) / 1e6 / seconds;
}

/** The unrecorded warm-up round trips before `rounds` recorded ones. */
export function pingWarmup(rounds: number): number {
  return Math.min(200, Math.floor(rounds / 10));
}

/** PING/PONG round trips in µs (after an unrecorded warm-up of {@link pingWarmup} round trips). */
export async function pulsarPingPongSamples(connect: Connect, rounds: number): Promise<number[]> {
  const { pingFrame } = await import('./pulsarFrames.ts');
  const { socket, frames } = await pulsarSession(connect);
  const samples: number[] = [];
  const warmup = pingWarmup(rounds);
  for (let i = 0; i < rounds + warmup; i++) {
    const started = process.hrtime.bigint();
    socket.write(pingFrame);
    await frames.until(2 + i, 'a PONG', 10_000);
    if (i >= warmup) samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  socket.destroy();
  return samples;
}

/** `count` LOOKUPs one after the other on one connection; mean and p50 per lookup in µs. */
export async function lookupStorm(connect: Connect, count: number): Promise<{ meanUs: number; p50Us: number }> {
  const { lookupFrame } = await import('./pulsarFrames.ts');
  const { socket, frames } = await pulsarSession(connect);
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const one = process.hrtime.bigint();
    socket.write(lookupFrame(i + 1));
    await frames.until(2 + i, 'a LOOKUP_RESPONSE', 10_000);
    samples.push(Number(process.hrtime.bigint() - one) / 1000);
  }
  const total = performance.now() - started;
  socket.destroy();
  samples.sort((a, b) => a - b);
  return { meanUs: (total * 1000) / count, p50Us: samples[Math.floor(samples.length / 2)]! };
}
