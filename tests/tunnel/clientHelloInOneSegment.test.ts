/**
 * ATS 9.2 hangs when a ClientHello arrives split across reads: the tunnel's ClientHello must come in
 * one write, small enough for one TCP segment (pinned key-exchange groups, no post-quantum shares).
 */
import type net from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { withDeadline } from '../fixtures/deadline.ts';
import { startPlainTcpServer, type PlainTcpServer } from '../fixtures/tlsBackend.ts';
import { connectLocal, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

let proxy: PlainTcpServer;
let tunnel: TestTunnel;

afterAll(async () => {
  await tunnel?.dispose();
  await proxy?.stop();
});

it('sends the whole ClientHello, with the SNI, in one read of under 1,400 bytes', async () => {
  let firstRead: (chunk: Buffer) => void = () => undefined;
  const first = new Promise<Buffer>((resolve) => (firstRead = resolve));
  proxy = await startPlainTcpServer((socket: net.Socket) => socket.once('data', (chunk: Buffer) => {
    firstRead(chunk);
    socket.destroy();
  }));
  tunnel = await startTestTunnel(testConfig({ serviceHost: 'a-rather-long-broker-name.cluster.example.test', overrides: { proxy: { host: '127.0.0.1', port: proxy.port } } }));
  const client = await connectLocal(tunnel.host, tunnel.port);
  client.on('error', () => undefined);
  const hello = await withDeadline(first, 5_000, 'the ClientHello');
  expect(hello[0]).toBe(0x16); // TLS handshake record
  const recordLength = hello.readUInt16BE(3);
  expect(hello.length).toBe(5 + recordLength);
  expect(hello.length).toBeLessThan(1400);
  expect(hello.includes(Buffer.from('a-rather-long-broker-name.cluster.example.test'))).toBe(true);
  client.destroy();
});
