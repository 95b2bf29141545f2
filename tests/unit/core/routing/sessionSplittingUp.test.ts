/**
 * The client → broker side of a Pulsar session: the frames the tunnel sends of its own (the
 * AUTH_RESPONSE to a broker's refresh challenge, its keep-alive PINGs) go out at a frame boundary
 * of the client's stream and right after the frame in progress, however the client's upload is
 * cut into reads, and the client's bytes pass unchanged around them. Under a continuous upload no
 * read may ever end on a frame boundary, so waiting for one would hold a refresh answer until the
 * broker closes the connection.
 */
import { PassThrough } from 'node:stream';
import type net from 'node:net';
import type tls from 'node:tls';
import fc from 'fast-check';
import { afterEach, expect, it, vi } from 'vitest';
import { BrokerRegistry } from '../../../../src-main/core/routing/brokerRegistry.ts';
import { PulsarSession } from '../../../../src-main/core/routing/pulsarSession.ts';
import type { TunnelConfig } from '../../../../src-main/core/config/tunnelConfig.ts';
import { baseCommand, connectCommand, field, message, rawFrame, sendCommand } from '../pulsar/frames.ts';

const SEND = 6;
const FLOW = 11;
const PING = 18;
const AUTH_CHALLENGE = 36;
const AUTH_RESPONSE = 37;

const flowFrame = (consumerId: number) => rawFrame(baseCommand(FLOW, message((w) => { field.uint64(w, 1, consumerId); field.varint(w, 2, 1000); })));
const sendFrame = (sequenceId: number, size: number) => rawFrame(sendCommand(1, sequenceId), Buffer.alloc(size, sequenceId));
const challengeFrame = rawFrame(
  baseCommand(
    AUTH_CHALLENGE,
    message((w) => {
      field.string(w, 1, 'broker');
      field.bytes(w, 2, message((a) => { field.string(a, 1, 'token'); field.bytes(a, 2, Buffer.from('PulsarAuthRefresh')); }));
      field.varint(w, 3, 21);
    }),
  ),
);

/** The frames of a byte stream: type (from the BaseCommand's first field) and bytes. */
function frames(stream: Buffer): { type: number; bytes: Buffer }[] {
  const out: { type: number; bytes: Buffer }[] = [];
  for (let at = 0; at < stream.length; ) {
    const end = at + 4 + stream.readUInt32BE(at);
    expect(end).toBeLessThanOrEqual(stream.length);
    expect(stream[at + 8]).toBe(0x08);
    out.push({ type: stream[at + 9]!, bytes: stream.subarray(at, end) });
    at = end;
  }
  return out;
}

afterEach(() => {
  vi.useRealTimers();
});

type Injection = { at: number; kind: 'challenge' | 'ping' };

/**
 * Runs a session with a token profile: the client's CONNECT, then `stream` cut at `cuts`, with the
 * injections (ordered by `at`, within the stream) made once the bytes before `at` have been pushed. Returns what reached the broker after
 * the CONNECT and, per injection, how many of the stream's bytes had been pushed.
 */
async function run(stream: Buffer, cuts: number[], injections: Injection[]): Promise<{ sent: Buffer; pushedAt: number[] }> {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  let tokens = 0;
  const config = {
    name: 't',
    service: { host: 'svc.test', port: 6651 },
    auth: { kind: 'token', getToken: async () => `token-${tokens++}` },
    keepAliveIntervalSeconds: 1,
    connectionTimeoutMs: 5000,
    listen: { host: '127.0.0.1', port: 6650 },
  } as unknown as TunnelConfig;
  const registry = new BrokerRegistry({ openListener: () => Promise.reject(new Error('no broker ports in this test')) as Promise<net.Server> });
  const session = new PulsarSession({ id: 1, config, registry, counters: { bytesUp: 0, bytesDown: 0 }, emit: () => undefined });
  const local = new PassThrough();
  local.write(rawFrame(connectCommand()));
  await session.begin(local as unknown as net.Socket, new AbortController().signal);
  const sent: Buffer[] = [];
  const toBroker = (bytes: Buffer) => sent.push(Buffer.from(bytes));
  session.attach({ destroyed: false, write: (bytes: Buffer) => toBroker(bytes) } as unknown as tls.TLSSocket);

  const pushedAt: number[] = [];
  const stops = [...new Set([...cuts.map((cut) => cut % (stream.length + 1)), ...injections.map((injection) => injection.at)])].sort((a, b) => a - b);
  const due = [...injections];
  let at = 0;
  for (const stop of [...stops, stream.length]) {
    if (stop > at) session.up.push(stream.subarray(at, stop), toBroker);
    at = Math.max(at, stop);
    while (due.length > 0 && due[0]!.at <= at) {
      const injection = due.shift()!;
      pushedAt.push(at);
      if (injection.kind === 'ping') {
        vi.advanceTimersByTime(1000);
      } else {
        session.down.push(challengeFrame, (bytes) => expect.fail(`the challenge reached the client: ${bytes.length} bytes`));
        // The answer is sent once the token source has answered (a promise): let it settle.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  session.dispose();
  return { sent: Buffer.concat(sent), pushedAt };
}

it('sends every AUTH_RESPONSE and PING of its own right after the client frame in progress, for any split of the upload', async () => {
  const items = fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('send' as const), size: fc.integer({ min: 0, max: 4000 }) }),
      fc.record({ kind: fc.constant('flow' as const) }),
    ),
    { minLength: 1, maxLength: 10 },
  );
  const injections = fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom('challenge' as const, 'ping' as const) }), { minLength: 1, maxLength: 4 });
  await fc.assert(
    fc.asyncProperty(items, fc.array(fc.nat(), { maxLength: 30 }), injections, async (spec, cuts, injected) => {
      const clientFrames = spec.map((item, index) => (item.kind === 'send' ? sendFrame(index, item.size) : flowFrame(index)));
      const stream = Buffer.concat(clientFrames);
      const starts: number[] = [];
      clientFrames.reduce((offset, bytes) => (starts.push(offset), offset + bytes.length), 0);

      // In the order they are made (by stream position, then as listed).
      const plan = injected.map((i) => ({ ...i, at: i.at % (stream.length + 1) })).sort((a, b) => a.at - b.at);

      const { sent, pushedAt } = await run(stream, cuts, plan);
      const out = frames(sent);
      const own = out.filter((f) => f.type === PING || f.type === AUTH_RESPONSE);
      // The client's bytes pass unchanged, whole frames in between.
      expect(Buffer.concat(out.filter((f) => f.type === SEND || f.type === FLOW).map((f) => f.bytes)).equals(stream)).toBe(true);
      expect(own.map((f) => f.type)).toEqual(plan.map((i) => (i.kind === 'ping' ? PING : AUTH_RESPONSE)));
      // Each goes out after exactly the client frames begun when it was made: at once between
      // frames, else right after the frame in progress, never after a later one.
      let seen = 0;
      let ownIndex = 0;
      for (const f of out) {
        if (f.type === SEND || f.type === FLOW) {
          seen++;
          continue;
        }
        const begun = starts.filter((start) => start < pushedAt[ownIndex]!).length;
        expect(seen).toBe(begun);
        ownIndex++;
      }
      // Each AUTH_RESPONSE carries a freshly read token (token-0 went into the CONNECT).
      const tokens = own.filter((f) => f.type === AUTH_RESPONSE).map((f) => /token-\d+/.exec(f.bytes.toString('latin1'))?.[0]);
      expect(tokens).toEqual(tokens.map((_, index) => `token-${index + 1}`));
    }),
    { numRuns: 200 },
  );
});
