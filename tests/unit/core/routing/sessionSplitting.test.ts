/**
 * The broker → client side of a Pulsar session gives the same bytes however the stream is cut into
 * reads, including when a rewrite must wait for a new broker's listener (the frame keeps its place
 * and everything after it waits).
 */
import type net from 'node:net';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { BrokerRegistry } from '../../../../src-main/core/routing/brokerRegistry.ts';
import { PulsarSession } from '../../../../src-main/core/routing/pulsarSession.ts';
import { CommandType, encodeCommand as command, frame } from '../../../../src-main/core/pulsar/commands.ts';
import { encodeFields } from '../../../../src-main/core/pulsar/wire.ts';
import type { TunnelConfig } from '../../../../src-main/core/config/tunnelConfig.ts';

const lookupResponse = (requestId: number, host: string) =>
  frame(command(CommandType.LOOKUP_RESPONSE, encodeFields([[1, { string: `pulsar://${host}:6650` }], [2, { string: `pulsar+ssl://${host}:6651` }], [3, { uint32: 1 }], [4, { uint64: requestId }]])));

function message(entry: number, size: number): Buffer {
  const cmd = command(CommandType.MESSAGE, encodeFields([[1, { uint64: 1 }], [2, { message: encodeFields([[1, { uint64: 1 }], [2, { uint64: entry }]]) }]]));
  const head = Buffer.alloc(8);
  const payload = Buffer.alloc(size, entry);
  head.writeUInt32BE(4 + cmd.length + payload.length, 0);
  head.writeUInt32BE(cmd.length, 4);
  return Buffer.concat([head, cmd, payload]);
}

const config = { name: 't', service: { host: 'svc.test', port: 6651 }, auth: { kind: 'none' }, keepAliveIntervalSeconds: 0, connectionTimeoutMs: 1000 } as unknown as TunnelConfig;

/** A registry whose "listeners" open after a microtask, on ports that depend only on the host. */
function fakeRegistry(): BrokerRegistry {
  return new BrokerRegistry({
    openListener: async (target) => {
      await Promise.resolve();
      const port = 20000 + [...target.host].reduce((sum, char) => sum + char.charCodeAt(0), 0);
      return { address: () => ({ address: '127.0.0.1', family: 'IPv4', port }) } as unknown as net.Server;
    },
  });
}

async function run(stream: Buffer, cuts: number[]): Promise<Buffer> {
  const session = new PulsarSession({ id: 1, config, registry: fakeRegistry(), counters: { bytesUp: 0, bytesDown: 0 }, emit: () => undefined });
  const out: Buffer[] = [];
  const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
  let at = 0;
  for (const point of [...points, stream.length]) {
    if (point <= at) continue;
    session.down.push(stream.subarray(at, point), (bytes) => out.push(Buffer.from(bytes)));
    await session.down.pending?.();
    at = point;
  }
  return Buffer.concat(out);
}

it('gives identical output for any split, with every lookup rewritten to a local port', async () => {
  const frames = fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('lookup' as const), broker: fc.constantFrom('b1.test', 'b2.test', 'b3.test') }),
      fc.record({ kind: fc.constant('message' as const), size: fc.integer({ min: 0, max: 3000 }) }),
    ),
    { minLength: 1, maxLength: 12 },
  );
  await fc.assert(
    fc.asyncProperty(frames, fc.array(fc.nat(), { maxLength: 20 }), async (spec, cuts) => {
      const stream = Buffer.concat(spec.map((item, index) => (item.kind === 'lookup' ? lookupResponse(index + 1, item.broker) : message(index, item.size))));
      const whole = await run(stream, []);
      const split = await run(stream, cuts);
      expect(split.equals(whole)).toBe(true);
      const lookups = spec.filter((item) => item.kind === 'lookup').length;
      expect(whole.toString('latin1').split('pulsar://127.0.0.1:').length - 1).toBe(lookups * 2);
      expect(whole.includes('b1.test:6650')).toBe(false);
    }),
    { numRuns: 300 },
  );
});
