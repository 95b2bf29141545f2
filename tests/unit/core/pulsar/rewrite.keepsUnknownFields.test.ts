import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import protobuf from 'protobufjs/minimal.js';
import {
  readCloseProducerOrConsumer,
  readConnect,
  readLookupResponse,
  readTopicMigrated,
  rewriteCloseProducerOrConsumer,
  rewriteConnect,
  rewriteLookupResponse,
  rewriteTopicMigrated,
} from '../../../../src-main/core/pulsar/commands.ts';
import { big, decodeBaseCommand, has, knownFieldNumbers, unknowns, type Decoded } from './schema.ts';

const { Writer } = protobuf;

/** Raw bytes of one field with the given number, of any wire type (groups included). */
function unknownFieldArbitrary(excluded: ReadonlySet<number>): fc.Arbitrary<Buffer> {
  const number = fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 536_870_911 })).filter((n) => !excluded.has(n) && (n < 19_000 || n > 19_999));
  const raw = (build: (w: protobuf.Writer) => void): Buffer => {
    const w = Writer.create();
    build(w);
    return Buffer.from(w.finish());
  };
  return fc.oneof(
    fc.tuple(number, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([n, v]) => raw((w) => w.uint32((n << 3) | 0).uint64(v.toString()))),
    fc.tuple(number, fc.uint8Array({ minLength: 8, maxLength: 8 })).map(([n, v]) => raw((w) => w.uint32((n << 3) | 1).raw(v))),
    fc.tuple(number, fc.uint8Array({ maxLength: 60 })).map(([n, v]) => raw((w) => w.uint32((n << 3) | 2).bytes(v))),
    fc.tuple(number, fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([n, v]) => raw((w) => w.uint32((n << 3) | 5).raw(v))),
    fc.tuple(number, fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.nat()), { maxLength: 3 })).map(([n, inner]) =>
      raw((w) => {
        w.uint32((n << 3) | 3);
        for (const [fieldNumber, value] of inner) w.uint32((fieldNumber << 3) | 0).uint32(value);
        w.uint32((n << 3) | 4);
      }),
    ),
  );
}

interface Segment {
  known: boolean;
  bytes: Buffer;
}

/** Known field segments and unknown ones, interleaved in an arbitrary order (known ones keep theirs). */
function interleave(known: readonly Buffer[], unknown: readonly Buffer[], order: readonly boolean[]): Segment[] {
  const segments: Segment[] = [];
  let k = 0;
  let u = 0;
  for (const pickKnown of order) {
    if (pickKnown && k < known.length) segments.push({ known: true, bytes: known[k++]! });
    else if (!pickKnown && u < unknown.length) segments.push({ known: false, bytes: unknown[u++]! });
  }
  while (k < known.length) segments.push({ known: true, bytes: known[k++]! });
  while (u < unknown.length) segments.push({ known: false, bytes: unknown[u++]! });
  return segments;
}

function fieldBytes(build: (w: protobuf.Writer) => void): Buffer {
  const w = Writer.create();
  build(w);
  return Buffer.from(w.finish());
}

/** A BaseCommand of `type` with the sub-command `sub`, interleaved with unknown top-level fields. */
function envelope(type: number, sub: Buffer, baseUnknown: readonly Buffer[], order: readonly boolean[]): Buffer {
  const known = [fieldBytes((w) => w.uint32(8).uint32(type)), fieldBytes((w) => w.uint32((type << 3) | 2).bytes(sub))];
  return Buffer.concat(interleave(known, baseUnknown, order).map((s) => s.bytes));
}

const order = fc.array(fc.boolean(), { maxLength: 30 });
const baseUnknowns = fc.array(unknownFieldArbitrary(knownFieldNumbers('BaseCommand')), { maxLength: 4 });
const url = fc.oneof(fc.constantFrom('pulsar://broker-1.internal:6650', 'pulsar+ssl://broker-1.internal:6651'), fc.string({ maxLength: 50 }));
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

function sub(decoded: Decoded, name: string): Decoded {
  expect(has(decoded, name)).toBe(true);
  return decoded[name] as Decoded;
}

describe('rewrites keep unknown fields', () => {
  it('LOOKUP_RESPONSE: replaces both URLs and sets proxy_through_service_url, keeping every other field byte for byte', () => {
    const lookupUnknown = unknownFieldArbitrary(knownFieldNumbers('CommandLookupTopicResponse'));
    fc.assert(
      fc.property(
        fc.record({
          brokerServiceUrl: fc.option(url, { nil: undefined }),
          brokerServiceUrlTls: fc.option(url, { nil: undefined }),
          response: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
          requestId: uint64,
          authoritative: fc.option(fc.boolean(), { nil: undefined }),
          message: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        }),
        fc.array(lookupUnknown, { maxLength: 6 }),
        baseUnknowns,
        order,
        order,
        fc.boolean(),
        (values, subUnknown, baseUnknown, subOrder, baseOrder, proxyThrough) => {
          const known: Buffer[] = [];
          if (values.brokerServiceUrl !== undefined) known.push(fieldBytes((w) => w.uint32((1 << 3) | 2).string(values.brokerServiceUrl!)));
          if (values.brokerServiceUrlTls !== undefined) known.push(fieldBytes((w) => w.uint32((2 << 3) | 2).string(values.brokerServiceUrlTls!)));
          if (values.response !== undefined) known.push(fieldBytes((w) => w.uint32(3 << 3).uint32(values.response!)));
          known.push(fieldBytes((w) => w.uint32(4 << 3).uint64(values.requestId.toString())));
          if (values.authoritative !== undefined) known.push(fieldBytes((w) => w.uint32(5 << 3).bool(values.authoritative!)));
          if (values.message !== undefined) known.push(fieldBytes((w) => w.uint32((7 << 3) | 2).string(values.message!)));
          const segments = interleave(known, subUnknown, subOrder);
          const command = envelope(24, Buffer.concat(segments.map((s) => s.bytes)), baseUnknown, baseOrder);

          const before = readLookupResponse(command);
          expect(BigInt(before.requestId)).toBe(values.requestId);
          expect(before.brokerServiceUrl).toBe(values.brokerServiceUrl);
          expect(before.brokerServiceUrlTls).toBe(values.brokerServiceUrlTls);

          const rewritten = rewriteLookupResponse(command, { brokerServiceUrl: 'pulsar://127.0.0.1:41000', brokerServiceUrlTls: 'pulsar://127.0.0.1:41000', proxyThroughServiceUrl: proxyThrough });
          const decoded = decodeBaseCommand(rewritten);
          expect(decoded.type).toBe(24);
          expect(unknowns(decoded)).toEqual(baseUnknown);
          const response = sub(decoded, 'lookupTopicResponse');
          expect(unknowns(response)).toEqual(subUnknown);
          expect(response.brokerServiceUrl).toBe('pulsar://127.0.0.1:41000');
          expect(response.brokerServiceUrlTls).toBe('pulsar://127.0.0.1:41000');
          expect(response.proxy_through_service_url ?? false).toBe(proxyThrough);
          expect(big(response.request_id)).toBe(values.requestId);
          expect(response.response ?? 0).toBe(values.response ?? 0);
          expect(response.message ?? '').toBe(values.message ?? '');
          expect(response.authoritative ?? false).toBe(values.authoritative ?? false);
          // Also checked without the schema: every unknown field's bytes are in the output, in order.
          let from = 0;
          for (const bytes of [...subUnknown]) {
            const at = rewritten.indexOf(bytes, from);
            expect(at).toBeGreaterThanOrEqual(0);
            from = at + bytes.length;
          }
          const after = readLookupResponse(rewritten);
          expect(after.proxyThroughServiceUrl).toBe(proxyThrough);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('CONNECT: strips proxy_to_broker_url, injects credentials, sets auth refresh, never adds original_* and keeps the rest', () => {
    const connectUnknown = unknownFieldArbitrary(knownFieldNumbers('CommandConnect'));
    const flagsUnknown = unknownFieldArbitrary(knownFieldNumbers('FeatureFlags'));
    fc.assert(
      fc.property(
        fc.record({
          clientVersion: fc.string({ maxLength: 30 }),
          protocolVersion: fc.option(fc.integer({ min: 0, max: 25 }), { nil: undefined }),
          authMethodName: fc.option(fc.constantFrom('none', 'token', 'tls'), { nil: undefined }),
          authData: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
          proxyToBrokerUrl: fc.option(fc.constantFrom('broker-2.internal:6651', 'b:1'), { nil: undefined }),
          flags: fc.option(fc.record({ refresh: fc.option(fc.boolean(), { nil: undefined }), entryMetadata: fc.option(fc.boolean(), { nil: undefined }), unknown: fc.array(flagsUnknown, { maxLength: 3 }) }), { nil: undefined }),
          proxyVersion: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
        }),
        fc.record({
          stripProxyToBrokerUrl: fc.boolean(),
          injectAuth: fc.option(fc.record({ methodName: fc.constantFrom('token', 'tls'), data: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }), { nil: undefined }),
          enableAuthRefresh: fc.boolean(),
        }),
        fc.array(connectUnknown, { maxLength: 6 }),
        baseUnknowns,
        order,
        order,
        (values, opts, subUnknown, baseUnknown, subOrder, baseOrder) => {
          const known: Buffer[] = [fieldBytes((w) => w.uint32((1 << 3) | 2).string(values.clientVersion))];
          if (values.authData !== undefined) known.push(fieldBytes((w) => w.uint32((3 << 3) | 2).bytes(values.authData!)));
          if (values.protocolVersion !== undefined) known.push(fieldBytes((w) => w.uint32(4 << 3).int32(values.protocolVersion!)));
          if (values.authMethodName !== undefined) known.push(fieldBytes((w) => w.uint32((5 << 3) | 2).string(values.authMethodName!)));
          if (values.proxyToBrokerUrl !== undefined) known.push(fieldBytes((w) => w.uint32((6 << 3) | 2).string(values.proxyToBrokerUrl!)));
          let flagsBytes: Buffer | undefined;
          if (values.flags) {
            const f = values.flags;
            const flagKnown: Buffer[] = [];
            if (f.refresh !== undefined) flagKnown.push(fieldBytes((w) => w.uint32(1 << 3).bool(f.refresh!)));
            if (f.entryMetadata !== undefined) flagKnown.push(fieldBytes((w) => w.uint32(2 << 3).bool(f.entryMetadata!)));
            flagsBytes = Buffer.concat([...flagKnown, ...f.unknown]);
            known.push(fieldBytes((w) => w.uint32((10 << 3) | 2).bytes(flagsBytes!)));
          }
          if (values.proxyVersion !== undefined) known.push(fieldBytes((w) => w.uint32((11 << 3) | 2).string(values.proxyVersion!)));
          const command = envelope(2, Buffer.concat(interleave(known, subUnknown, subOrder).map((s) => s.bytes)), baseUnknown, baseOrder);

          const info = readConnect(command);
          expect(info.clientVersion).toBe(values.clientVersion);
          expect(info.protocolVersion).toBe(values.protocolVersion ?? 0);
          expect(info.proxyToBrokerUrl).toBe(values.proxyToBrokerUrl);
          expect(info.authMethodName).toBe(values.authMethodName);
          expect(info.hasAuthData).toBe((values.authData?.length ?? 0) > 0);
          expect(info.supportsAuthRefresh).toBe(values.flags?.refresh ?? false);

          const rewritten = rewriteConnect(command, opts);
          const decoded = decodeBaseCommand(rewritten);
          expect(unknowns(decoded)).toEqual(baseUnknown);
          const connect = sub(decoded, 'connect');
          expect(unknowns(connect)).toEqual(subUnknown);
          expect(connect.client_version).toBe(values.clientVersion);
          expect(connect.protocol_version ?? 0).toBe(values.protocolVersion ?? 0);
          for (const name of ['original_principal', 'original_auth_data', 'original_auth_method']) expect(has(connect, name)).toBe(false);
          expect(connect.proxy_version || undefined).toBe(values.proxyVersion || undefined);
          expect(connect.proxy_to_broker_url || undefined).toBe(opts.stripProxyToBrokerUrl ? undefined : values.proxyToBrokerUrl || undefined);
          if (opts.injectAuth) {
            expect(connect.auth_method_name).toBe(opts.injectAuth.methodName);
            expect(Buffer.from((connect.auth_data as Uint8Array | undefined) ?? []).equals(opts.injectAuth.data)).toBe(true);
          } else {
            expect(connect.auth_method_name || undefined).toBe(values.authMethodName || undefined);
            expect(Buffer.from((connect.auth_data as Uint8Array | undefined) ?? []).equals(Buffer.from(values.authData ?? []))).toBe(true);
          }
          const expectedRefresh = opts.enableAuthRefresh ? true : (values.flags?.refresh ?? false);
          if (values.flags) {
            const flags = sub(connect, 'feature_flags');
            expect(unknowns(flags)).toEqual(values.flags.unknown);
            expect(flags.supports_auth_refresh ?? false).toBe(expectedRefresh);
            expect(flags.supports_broker_entry_metadata ?? false).toBe(values.flags.entryMetadata ?? false);
          }
          expect(readConnect(rewritten).supportsAuthRefresh).toBe(expectedRefresh);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('CLOSE_PRODUCER / CLOSE_CONSUMER: replaces or adds the assigned URLs and keeps ids and unknown fields', () => {
    const closeUnknown = unknownFieldArbitrary(new Set([...knownFieldNumbers('CommandCloseProducer'), ...knownFieldNumbers('CommandCloseConsumer')]));
    fc.assert(
      fc.property(fc.constantFrom(15, 16), uint64, uint64, fc.option(url, { nil: undefined }), fc.array(closeUnknown, { maxLength: 5 }), baseUnknowns, order, (type, id, requestId, assigned, subUnknown, baseUnknown, subOrder) => {
        const known = [fieldBytes((w) => w.uint32(1 << 3).uint64(id.toString())), fieldBytes((w) => w.uint32(2 << 3).uint64(requestId.toString()))];
        if (assigned !== undefined) known.push(fieldBytes((w) => w.uint32((3 << 3) | 2).string(assigned)));
        const command = envelope(type, Buffer.concat(interleave(known, subUnknown, subOrder).map((s) => s.bytes)), baseUnknown, []);
        const info = readCloseProducerOrConsumer(command);
        expect(info.type).toBe(type);
        expect(BigInt(info.id)).toBe(id);
        expect(info.assignedBrokerServiceUrl).toBe(assigned);
        const rewritten = rewriteCloseProducerOrConsumer(command, { assignedBrokerServiceUrl: 'pulsar://127.0.0.1:1', assignedBrokerServiceUrlTls: 'pulsar://127.0.0.1:2' });
        const decoded = decodeBaseCommand(rewritten);
        expect(unknowns(decoded)).toEqual(baseUnknown);
        const close = sub(decoded, type === 15 ? 'close_producer' : 'close_consumer');
        expect(unknowns(close)).toEqual(subUnknown);
        expect(big(close[type === 15 ? 'producer_id' : 'consumer_id'])).toBe(id);
        expect(big(close.request_id)).toBe(requestId);
        expect(close.assignedBrokerServiceUrl).toBe('pulsar://127.0.0.1:1');
        expect(close.assignedBrokerServiceUrlTls).toBe('pulsar://127.0.0.1:2');
      }),
      { numRuns: 200 },
    );
  });

  it('TOPIC_MIGRATED: replaces both service URLs and keeps the resource and unknown fields', () => {
    const migratedUnknown = unknownFieldArbitrary(knownFieldNumbers('CommandTopicMigrated'));
    fc.assert(
      fc.property(uint64, fc.integer({ min: 0, max: 1 }), fc.array(migratedUnknown, { maxLength: 5 }), baseUnknowns, order, (resourceId, resourceType, subUnknown, baseUnknown, subOrder) => {
        const known = [
          fieldBytes((w) => w.uint32(1 << 3).uint64(resourceId.toString())),
          fieldBytes((w) => w.uint32(2 << 3).uint32(resourceType)),
          fieldBytes((w) => w.uint32((3 << 3) | 2).string('pulsar://other-cluster:6650')),
          fieldBytes((w) => w.uint32((4 << 3) | 2).string('pulsar+ssl://other-cluster:6651')),
        ];
        const command = envelope(68, Buffer.concat(interleave(known, subUnknown, subOrder).map((s) => s.bytes)), baseUnknown, []);
        const info = readTopicMigrated(command);
        // A uint64 comes back as a number while it is a safe integer, as a bigint above.
        expect(typeof info.resourceId).toBe(resourceId <= BigInt(Number.MAX_SAFE_INTEGER) ? 'number' : 'bigint');
        expect(BigInt(info.resourceId)).toBe(resourceId);
        expect(info).toMatchObject({ resourceType, brokerServiceUrl: 'pulsar://other-cluster:6650', brokerServiceUrlTls: 'pulsar+ssl://other-cluster:6651' });
        const decoded = decodeBaseCommand(rewriteTopicMigrated(command, { brokerServiceUrl: 'pulsar://127.0.0.1:3', brokerServiceUrlTls: 'pulsar://127.0.0.1:3' }));
        expect(unknowns(decoded)).toEqual(baseUnknown);
        const migrated = sub(decoded, 'topicMigrated');
        expect(unknowns(migrated)).toEqual(subUnknown);
        expect(big(migrated.resource_id)).toBe(resourceId);
        expect(migrated.resource_type ?? 0).toBe(resourceType);
        expect(migrated.brokerServiceUrl).toBe('pulsar://127.0.0.1:3');
        expect(migrated.brokerServiceUrlTls).toBe('pulsar://127.0.0.1:3');
      }),
      { numRuns: 200 },
    );
  });
});
