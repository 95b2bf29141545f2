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

/** Round trips of `size`-byte messages through the echo mode; returns p50 and p99 in µs. */
export async function pingPong(connect: Connect, rounds: number, size = 100): Promise<{ p50: number; p99: number }> {
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
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length * 0.5)]!, p99: samples[Math.floor(samples.length * 0.99)]! };
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
