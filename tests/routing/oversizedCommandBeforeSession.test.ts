/**
 * Before the broker accepts a session, a local client cannot make the tunnel buffer a multi-megabyte
 * "command": a frame header announcing a command over 64 KiB is refused as soon as it is read, with
 * PULSAR_COMMAND_TOO_LARGE, and the client is told in an ERROR frame. A CONNECT with large auth
 * data (under the cap) still reaches the broker.
 */
import type net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withDeadline } from '../fixtures/deadline.ts';
import { CommandType, decodeFrame, encodeSimpleFrame, sub } from '../fixtures/pulsarCluster/protocol.ts';
import { connectLocal } from '../tunnel/harness.ts';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;

beforeAll(async () => {
  harness = await startClusterHarness();
});

afterAll(async () => {
  await harness?.stop();
});

/** Everything the tunnel sends the client until it ends the connection. */
function readUntilClosed(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return withDeadline(new Promise<Buffer>((resolve) => socket.once('end', () => resolve(Buffer.concat(chunks)))), 10_000, 'the tunnel to close the connection');
}

it('refuses each connection that announces a huge command before CONNECTED, telling the client', async () => {
  const tunnel = await harness.tunnel();
  const total = 5_253_116;
  const header = Buffer.alloc(8);
  header.writeUInt32BE(total, 0);
  header.writeUInt32BE(total - 4, 4);
  const n = 20;
  const heapBefore = process.memoryUsage().arrayBuffers;
  const clients = await Promise.all(Array.from({ length: n }, () => connectLocal(tunnel.host, tunnel.port)));
  const answers = clients.map((client) => readUntilClosed(client));
  // The command's first 64 KiB + 1 byte: enough to be buffered past the cap if there were none.
  for (const client of clients) client.write(Buffer.concat([header, Buffer.alloc(64 * 1024 + 1, 0x41)]));
  for (const raw of await Promise.all(answers)) {
    const error = decodeFrame(raw).command;
    expect(error.type).toBe(CommandType.ERROR);
    expect(String(sub(error.error)?.message)).toContain('PULSAR_COMMAND_TOO_LARGE');
  }
  const closed = tunnel.events.filter((event) => event.event === 'connection.closed');
  expect(closed).toHaveLength(n);
  for (const event of closed) expect(event).toMatchObject({ error: { code: 'PULSAR_COMMAND_TOO_LARGE' } });
  for (const client of clients) client.destroy();
  // Nothing near n × 5 MB was allocated for them.
  expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(n * 1024 * 1024);
});

it('still forwards a CONNECT with large auth data under the cap', async () => {
  const tunnel = await harness.tunnel();
  const client = await connectLocal(tunnel.host, tunnel.port);
  const answer = new Promise<Buffer>((resolve) => client.once('data', resolve));
  client.write(encodeSimpleFrame({ type: CommandType.CONNECT, connect: { client_version: 'big-auth', protocol_version: 21, auth_method_name: 'none', auth_data: Buffer.alloc(48 * 1024, 0x42) } }));
  const first = await withDeadline(answer, 10_000, 'the answer to a CONNECT with 48 KiB of auth data');
  expect(first.length).toBeGreaterThan(8);
  expect(tunnel.events.some((event) => event.event === 'pulsar.connect')).toBe(true);
  client.destroy();
});
