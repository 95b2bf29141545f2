/**
 * What an idle tunnelled connection costs in JavaScript heap (issue 12's idle-memory target counts
 * every byte of 1,000 of them): the real CLI through ATS to the bench sink, each connection's CONNECT
 * answered, the tunnel's live objects (code aside) read after a full collection (heapProbe.mjs)
 * between two batches of connections (the first warms up code and caches, the second is measured).
 * Node's own socket objects are a good part of it; the bound fails when the tunnel goes back to
 * keeping closures, timers or dial state per connection: ~8.7 KB per connection when this bound was
 * set, ~14.2 KB before those went.
 */
import { readFile, rm } from 'node:fs/promises';
import type net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from '../fixtures/cliProcess.ts';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import { startSinkWorld, startTunnelProcess, type TunnelProcess } from '../bench/processes.ts';
import { connectFrame } from '../bench/pulsarFrames.ts';

/** The most live heap one more idle connection may add, bytes. */
const HEAP_PER_CONNECTION = 11 * 1024;
const WARM_UP = 200;
const MEASURED = 300;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function liveHeap(tunnel: TunnelProcess, file: string): Promise<number> {
  await rm(file, { force: true });
  process.kill(tunnel.pid, 'SIGWINCH');
  return eventually(async () => Number(await readFile(file, 'utf8').catch(() => '')) || undefined, { timeoutMs: 10_000, what: 'the heap probe' });
}

async function openIdle(tunnel: TunnelProcess, count: number, open: net.Socket[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const socket = await tunnel.connect();
    open.push(socket);
    socket.write(connectFrame);
    await withDeadline(once(socket, 'data', 10_000), 10_000, 'CONNECTED through the tunnel');
  }
}

it('holds each idle tunnelled connection in at most 11 KiB of JavaScript heap', async () => {
  const { dir, pki, ats } = await startSinkWorld('pt-idle-heap-', cleanups);
  const probe = path.join(dir, 'heap.txt');
  const profile = { name: 'idle-heap', serviceUrl: 'pulsar+ssl://sink.test:6651', proxyServiceUrl: `pulsar+ssl://${ats.address}`, tlsTrustCertsFilePath: pki.ca.certPath, listen: { port: 0 } };
  const probeUrl = pathToFileURL(path.join(repoRoot, 'tests/fixtures/heapProbe.mjs')).href;
  const tunnel = await startTunnelProcess(dir, profile, { env: { NODE_OPTIONS: `--expose-gc --import=${probeUrl}`, HEAP_PROBE_FILE: probe } });
  cleanups.push(() => tunnel.cli.stop('SIGKILL'));
  const open: net.Socket[] = [];
  cleanups.push(async () => {
    for (const socket of open) socket.destroy();
  });

  await openIdle(tunnel, WARM_UP, open);
  const before = await liveHeap(tunnel, probe);
  await openIdle(tunnel, MEASURED, open);
  const after = await liveHeap(tunnel, probe);

  const perConnection = (after - before) / MEASURED;
  expect(perConnection, `${Math.round(perConnection)} bytes of heap per idle connection`).toBeLessThanOrEqual(HEAP_PER_CONNECTION);
  expect(perConnection).toBeGreaterThan(0);
}, 60_000);
