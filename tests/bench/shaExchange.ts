/**
 * The client side of the bench server's 'S' mode (see benchServer.ts): one connection carries
 * deterministic bytes both ways, and each direction is checked by SHA-256, so a byte lost, added or
 * altered anywhere on the path (tunnel, proxy, TLS) shows. Split in two steps so that many
 * connections can be opened first and their payloads released together.
 */
import type net from 'node:net';
import { createStreamDigest, deterministicChunks, deterministicSha256, writeChunks } from '../fixtures/tlsBackend.ts';
import { withDeadline } from '../fixtures/deadline.ts';

/** 'S', up length (u64), down length (u64), seed (u32). */
export const shaHeaderLength = 21;

/** The seed of the bytes the server sends, derived from the connection's seed. */
export function downSeed(seed: number): number {
  return (seed ^ 0x5eed) + 1_000_000;
}

/** What one checked exchange found. */
export interface ShaOutcome {
  /** The server's SHA-256 of what it received equals that of what was sent. */
  upIntact: boolean;
  /** What arrived from the server is exactly the expected bytes. */
  downIntact: boolean;
  bytesUp: number;
  /** Payload bytes received (without the ready mark and the digest). */
  bytesDown: number;
  /** Why the exchange did not complete, when it did not. */
  error?: string;
}

/** A connection whose server said it is ready; {@link ShaExchange.run} sends and checks. */
export interface ShaExchange {
  socket: net.Socket;
  run(timeoutMs: number): Promise<ShaOutcome>;
}

/**
 * Sends the header on `socket` and resolves once the server's ready mark came back through the
 * whole path.
 * @throws Error when the mark does not arrive within `timeoutMs` or the connection fails first.
 */
export async function openShaExchange(socket: net.Socket, sizes: { up: number; down: number; seed: number }, timeoutMs: number): Promise<ShaExchange> {
  if (sizes.up <= 0) throw new Error('a checked exchange needs at least one byte up');
  const header = Buffer.alloc(shaHeaderLength);
  header.write('S');
  header.writeBigUInt64BE(BigInt(sizes.up), 1);
  header.writeBigUInt64BE(BigInt(sizes.down), 9);
  header.writeUInt32BE(sizes.seed, 17);
  const chunks: Buffer[] = [];
  let length = 0;
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= 1) onReady();
  });
  const ended = new Promise<void>((resolve, reject) => {
    socket.once('end', resolve);
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
  ended.catch(() => undefined);
  socket.write(header);
  await withDeadline(Promise.race([ready, ended.then(() => Promise.reject(new Error('closed before the ready mark')))]), timeoutMs, 'the sink\'s ready mark');
  if (chunks[0]?.[0] !== 0x52) throw new Error(`expected the ready mark "R", got byte ${String(chunks[0]?.[0])}`);
  return {
    socket,
    async run(runTimeoutMs) {
      const sent = createStreamDigest();
      const expectedDown = deterministicSha256(sizes.down, downSeed(sizes.seed));
      try {
        const writing = writeChunks(
          socket,
          (function* () {
            for (const chunk of deterministicChunks(sizes.up, sizes.seed)) {
              sent.update(chunk);
              yield chunk;
            }
          })(),
          false,
        );
        await withDeadline(Promise.all([writing, ended]), runTimeoutMs, 'the exchange to finish');
      } catch (error) {
        socket.destroy();
        return { upIntact: false, downIntact: false, bytesUp: sent.bytes, bytesDown: Math.max(0, length - 1), error: (error as Error).message };
      }
      socket.destroy();
      const all = Buffer.concat(chunks);
      const payload = all.subarray(1, all.length - 64);
      const digest = all.subarray(all.length - 64).toString('latin1');
      const received = createStreamDigest();
      received.update(payload);
      const outcome: ShaOutcome = {
        upIntact: all.length >= 65 && digest === sent.hex() && sent.bytes === sizes.up,
        downIntact: payload.length === sizes.down && received.hex() === expectedDown,
        bytesUp: sent.bytes,
        bytesDown: payload.length,
      };
      if (all.length < 65 + sizes.down) outcome.error = `the connection ended after ${all.length} of ${65 + sizes.down} bytes`;
      return outcome;
    },
  };
}

