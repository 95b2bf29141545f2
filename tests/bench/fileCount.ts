/**
 * The listener guard's descriptor count on a real clock: what one listing of /dev/fd costs with
 * `openFiles` descriptors open, and what share of the time the guard spends counting while accepts
 * arrive back to back near its limit (its design: about a tenth). A figure, not a test: it varies
 * with the machine's load (0.41 was seen at load 10–20); `npm test` checks the spacing on a
 * simulated clock (tests/unit/core/transport/fileCountSpacing.test.ts).
 */
import { closeSync, openSync } from 'node:fs';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { countOpenFiles, ListenerGuard } from '../../src-main/core/transport/listenerGuard.ts';

export interface FileCountFigures {
  openFiles: number;
  countMs: number;
  /** Share of the time spent counting near the limit (target: about 0.1, at most 0.3). */
  countingShare: number;
}

export function runFileCountBench(openFiles = 3_000, seconds = 1): FileCountFigures {
  const held: number[] = [];
  try {
    for (let i = 0; i < openFiles; i++) held.push(openSync('/dev/null', 'r'));
    const samples: number[] = [];
    for (let i = 0; i < 50; i++) {
      const started = performance.now();
      countOpenFiles();
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    let countingMs = 0;
    const open = countOpenFiles() ?? 0;
    const guard = new ListenerGuard({
      emit: () => undefined,
      // The limit just above what is open: every accept is near it.
      limits: { fileLimit: open + 5, fileReserve: 10 },
      countOpenFiles: () => {
        const started = performance.now();
        const counted = countOpenFiles();
        countingMs += performance.now() - started;
        return counted;
      },
    });
    const socket = { destroy: () => undefined } as unknown as net.Socket;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) guard.admit(socket, 'pulsar', '127.0.0.1:6650');
    const elapsedMs = performance.now() - started;
    guard.dispose();
    return { openFiles: open, countMs: +samples[samples.length >> 1]!.toFixed(2), countingShare: +(countingMs / elapsedMs).toFixed(3) };
  } finally {
    for (const fd of held) closeSync(fd);
  }
}
