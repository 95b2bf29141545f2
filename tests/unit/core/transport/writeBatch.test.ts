/**
 * WriteBatch over a real loopback connection: the pieces of a loop turn's reads leave in one writev,
 * in order, without a copy; a read's pieces leave when it ends without `acrossReads`; a full
 * destination is reported and 'drain' follows; nothing is written to a destination that is gone.
 * The socket's _write/_writev are watched (not replaced) to count the writes Node hands to libuv.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WriteBatch } from '../../../../src-main/core/transport/writeBatch.ts';
import { once, withDeadline } from '../../../fixtures/deadline.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A connected pair on 127.0.0.1: `to` is written to, `peer` receives (paused until asked). */
async function pair(): Promise<{ to: net.Socket; peer: net.Socket }> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening', 5_000);
  const accepted = once<net.Socket>(server, 'connection', 5_000);
  const to = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  const peer = await accepted;
  await (to.connecting ? once(to, 'connect', 5_000) : Promise.resolve());
  peer.pause();
  closers.push(() => {
    to.destroy();
    peer.destroy();
    server.close();
  });
  return { to, peer };
}

/** Reads `bytes` bytes from `peer`. */
async function receive(peer: net.Socket, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  await withDeadline(
    new Promise<void>((resolve) => {
      peer.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        got += chunk.length;
        if (got >= bytes) resolve();
      });
      peer.resume();
    }),
    10_000,
    `${bytes} bytes at the peer`,
  );
  return Buffer.concat(chunks);
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const piece = (size: number, fill: number) => Buffer.alloc(size, fill);

describe('WriteBatch', () => {
  it('gathers the pieces of every read of one loop turn into one writev, in order, after the turn', async () => {
    const { to, peer } = await pair();
    const writev = vi.spyOn(to as unknown as { _writev: (...args: unknown[]) => void }, '_writev');
    const write = vi.spyOn(to as unknown as { _write: (...args: unknown[]) => void }, '_write');
    const batch = new WriteBatch(to, { acrossReads: true, onBlocked: () => undefined });
    const pieces = [piece(16_384, 1), piece(16_384, 2), piece(60, 3), piece(9_000, 4)];
    // Three reads delivered in one poll phase, as TLS does: one record, one record, two pieces.
    for (const read of [[pieces[0]!], [pieces[1]!], [pieces[2]!, pieces[3]!]]) {
      batch.beginRead();
      for (const out of read) batch.write(out);
      batch.endRead();
    }
    expect(write).not.toHaveBeenCalled();
    expect(writev).not.toHaveBeenCalled();
    expect(batch.waiting).toBe(41_828);
    await nextTurn();
    expect(write).not.toHaveBeenCalled();
    expect(writev).toHaveBeenCalledTimes(1);
    // Each piece handed on as it is: the very same buffers, no concatenated copy.
    // (Node's socket turns the entries it is given into their buffers in place as it writes them.)
    const chunks = (writev.mock.calls[0]![0] as (Buffer | { chunk: Buffer })[]).map((entry) => (Buffer.isBuffer(entry) ? entry : entry.chunk));
    expect(chunks).toHaveLength(4);
    chunks.forEach((chunk, i) => expect(chunk).toBe(pieces[i]));
    expect((await receive(peer, 41_828)).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('writes at once when flushAt bytes wait, without waiting for the turn to end', async () => {
    const { to, peer } = await pair();
    const writev = vi.spyOn(to as unknown as { _writev: (...args: unknown[]) => void }, '_writev');
    const batch = new WriteBatch(to, { acrossReads: true, flushAt: 32_768, onBlocked: () => undefined });
    const pieces = [piece(16_384, 1), piece(16_384, 2), piece(100, 3)];
    batch.beginRead();
    batch.write(pieces[0]!);
    batch.endRead();
    expect(writev).not.toHaveBeenCalled();
    batch.beginRead();
    batch.write(pieces[1]!);
    batch.endRead();
    expect(writev).toHaveBeenCalledTimes(1);
    expect(batch.waiting).toBe(0);
    batch.write(pieces[2]!); // outside a read: released output, written at the end of the turn too
    expect(batch.waiting).toBe(100);
    await nextTurn();
    expect(batch.waiting).toBe(0);
    expect((await receive(peer, 32_868)).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('without acrossReads, writes a read\'s pieces when the read ends: one write for one piece, one writev for several', async () => {
    const { to, peer } = await pair();
    const writev = vi.spyOn(to as unknown as { _writev: (...args: unknown[]) => void }, '_writev');
    const write = vi.spyOn(to as unknown as { _write: (...args: unknown[]) => void }, '_write');
    const batch = new WriteBatch(to, { acrossReads: false, onBlocked: () => undefined });
    batch.beginRead();
    batch.write(piece(10, 1));
    expect(write).not.toHaveBeenCalled();
    batch.endRead();
    expect(write).toHaveBeenCalledTimes(1);
    batch.beginRead();
    batch.write(piece(8, 2));
    batch.write(piece(5_000, 3));
    batch.endRead();
    expect(writev).toHaveBeenCalledTimes(1);
    batch.write(piece(3, 4)); // outside a read: at once
    expect(write).toHaveBeenCalledTimes(2);
    expect((await receive(peer, 5_021)).equals(Buffer.concat([piece(10, 1), piece(8, 2), piece(5_000, 3), piece(3, 4)]))).toBe(true);
  });

  it('reports a destination whose buffer reached its high-water mark, and drain follows once the peer reads', async () => {
    const { to, peer } = await pair();
    let blocked = 0;
    const batch = new WriteBatch(to, { acrossReads: true, onBlocked: () => blocked++ });
    // The peer does not read: the kernel's buffers fill, then Node's.
    let sent = 0;
    while (blocked === 0 && sent < 256 * 1024 ** 2) {
      batch.beginRead();
      for (let i = 0; i < 4; i++) batch.write(piece(16_384, i));
      batch.endRead();
      sent += 65_536;
    }
    expect(blocked).toBe(1);
    expect(to.writableLength).toBeGreaterThanOrEqual(to.writableHighWaterMark);
    const drained = once(to, 'drain', 10_000);
    const received = receive(peer, sent);
    await drained;
    expect((await received).length).toBe(sent);
  });

  it('drops what waits once the destination has ended or is destroyed, without an error', async () => {
    const { to } = await pair();
    const errors: Error[] = [];
    to.on('error', (error: Error) => errors.push(error));
    const batch = new WriteBatch(to, { acrossReads: true, onBlocked: () => undefined });
    batch.write(piece(100, 1));
    to.end();
    await nextTurn();
    batch.write(piece(100, 2));
    to.destroy();
    batch.flush();
    await nextTurn();
    expect(batch.waiting).toBe(0);
    expect(errors).toEqual([]);
  });
});
