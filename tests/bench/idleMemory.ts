/**
 * The memory section shared by `npm run bench` and `npm run bench:variants`: the resident memory of
 * a path's processes with many idle connections, each proven end to end by the broker's CONNECTED
 * answer to its CONNECT, and what each connection added.
 */
import type net from 'node:net';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import type { Connect } from './paths.ts';
import { treeRssMb } from './processTree.ts';
import { connectFrame } from './pulsarFrames.ts';

/** RSS (MB, the process and its children) before and with the idle connections. */
export interface IdleMemory {
  before: number;
  rss: number;
}

/**
 * Opens `count` connections through `connect`, each with a CONNECT answered, measures the RSS of
 * `pid`'s process tree, then closes them; `allClosed` (when given) says when the path has seen them
 * all close, which is awaited before returning.
 */
export async function idleMemory(pid: number, connect: Connect, count: number, allClosed?: () => boolean): Promise<IdleMemory> {
  const before = await treeRssMb(pid);
  const idle: net.Socket[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const socket = await connect();
      idle.push(socket);
      socket.write(connectFrame);
      await withDeadline(once(socket, 'data', 10_000), 10_000, 'an idle connection CONNECTED');
    }
    return { before, rss: await treeRssMb(pid) };
  } finally {
    for (const socket of idle) socket.destroy();
    if (allClosed) await eventually(() => allClosed() || undefined, { timeoutMs: 30_000, what: 'idle connections to close' });
  }
}

/** KiB each connection added. */
export function perConnectionKiB(figures: IdleMemory, count: number): number {
  return ((figures.rss - figures.before) * 1024) / count;
}
