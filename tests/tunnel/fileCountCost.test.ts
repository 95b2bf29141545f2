/**
 * The listener guard counts the tunnel's open descriptors (a listing of /dev/fd, whose cost grows
 * with the descriptors open: 13 ms with 3,000 open on a loaded machine) to keep a reserve. Near the
 * limit, with accepts arriving back to back, counting must not take the event loop: the guard
 * spaces its counts by their cost, so they take at most about a tenth of the time.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { expect, it } from 'vitest';
import { ListenerGuard } from '../../src-main/core/transport/listenerGuard.ts';

it('spends at most about a tenth of the time counting descriptors while accepts keep coming near the limit', () => {
  const countCostMs = 3;
  let counts = 0;
  let countingMs = 0;
  const guard = new ListenerGuard({
    emit: () => undefined,
    limits: { fileLimit: 1000, fileReserve: 10 },
    // A slow count that always finds the tunnel at its threshold: every accept is near the limit.
    countOpenFiles: () => {
      const started = performance.now();
      counts++;
      while (performance.now() - started < countCostMs);
      countingMs += performance.now() - started;
      return 995;
    },
  });
  const socket = { destroy: () => undefined } as unknown as net.Socket;
  const started = performance.now();
  let accepts = 0;
  let admitted = 0;
  while (performance.now() - started < 400) {
    accepts++;
    if (guard.admit(socket, 'pulsar', '127.0.0.1:6650')) admitted++;
  }
  const elapsedMs = performance.now() - started;
  guard.dispose();
  expect(admitted).toBe(0);
  expect(accepts).toBeGreaterThan(counts * 10);
  // A count every 5 ms would spend over half the time counting (measured: 0.87 without the spacing); spaced by ten times its cost, about 1/11.
  expect(countingMs / elapsedMs).toBeLessThan(0.3);
});
