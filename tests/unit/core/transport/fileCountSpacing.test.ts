/**
 * The listener guard counts the tunnel's open descriptors (a listing of /dev/fd, whose cost grows
 * with the descriptors open: 13 ms with 3,000 open on a loaded machine) to keep a reserve. Near the
 * limit, with accepts arriving back to back, counting must not take the event loop: the guard
 * spaces its counts by their cost, so they take at most about a tenth of the time.
 *
 * The guard's clock is simulated here (each count costs 3 ms of it, each accept 0.05 ms), so the
 * figure does not depend on the machine's load; the real cost of a count is in `npm run bench`.
 */
import type net from 'node:net';
import { expect, it } from 'vitest';
import { ListenerGuard } from '../../../../src-main/core/transport/listenerGuard.ts';

it('spends at most about a tenth of the time counting descriptors while accepts keep coming near the limit', () => {
  const countCostMs = 3;
  const acceptCostMs = 0.05;
  let clock = 0;
  let counts = 0;
  const guard = new ListenerGuard({
    emit: () => undefined,
    limits: { fileLimit: 1000, fileReserve: 10 },
    now: () => clock,
    // A slow count that always finds the tunnel at its threshold: every accept is near the limit.
    countOpenFiles: () => {
      counts++;
      clock += countCostMs;
      return 995;
    },
  });
  const socket = { destroy: () => undefined } as unknown as net.Socket;
  let accepts = 0;
  let admitted = 0;
  while (clock < 1_000) {
    accepts++;
    clock += acceptCostMs;
    if (guard.admit(socket, 'pulsar', '127.0.0.1:6650')) admitted++;
  }
  guard.dispose();
  expect(admitted).toBe(0);
  expect(accepts).toBeGreaterThan(counts * 10);
  // A count every 5 ms would spend 3 ms of every 5 counting (0.6); spaced by ten times its cost, about 1/11.
  expect((counts * countCostMs) / clock).toBeLessThan(0.15);
  // Near the limit the guard still counts: a refusal is not left standing for long.
  expect(counts).toBeGreaterThan(1_000 / 50 - 1);
});
