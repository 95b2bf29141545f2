/**
 * Every field the command readers return, read from commands encoded by the test-side schema:
 * lookup answers' response type, error and message, the close commands' ids and both assigned URLs,
 * migrations, and 64-bit values on both sides of 2^53 (numbers below, bigints from there on).
 */
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import {
  readCloseProducerOrConsumer,
  readConnect,
  readConnected,
  readLookup,
  readLookupResponse,
  readTopicMigrated,
} from '../../../../src-main/core/pulsar/commands.ts';
import { encodeFields, parseFields, readUint64 } from '../../../../src-main/core/pulsar/wire.ts';
import { CommandType, encodeBaseCommand, LookupType, ServerError } from '../../../fixtures/pulsarCluster/protocol.ts';

const { Writer } = protobuf;

describe('64-bit values', () => {
  const edges: [string, number | bigint][] = [
    ['0', 0],
    ['4294967295', 4_294_967_295],
    ['4294967296', 4_294_967_296],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
    ['9007199254740992', 9_007_199_254_740_992n],
    ['9007199254740993', 9_007_199_254_740_993n],
    ['18446744073709551615', 18_446_744_073_709_551_615n],
  ];

  it.each(edges)('reads %s exactly, as a number only while it is safe', (text, expected) => {
    const bytes = Buffer.from(Writer.create().uint32(8).uint64(text).finish());
    expect(readUint64(bytes, parseFields(bytes, 'Test')[0]!, 'Test')).toBe(expected);
  });

  it.each(edges)('writes %s so that an independent decoder reads it back', (text, value) => {
    const bytes = encodeFields([[1, { uint64: value }]]);
    const reader = protobuf.Reader.create(bytes);
    expect(reader.uint32()).toBe(8);
    const read = reader.uint64() as unknown as { low: number; high: number } | number;
    const asBig = typeof read === 'number' ? BigInt(read) : (BigInt(read.high >>> 0) << 32n) | BigInt(read.low >>> 0);
    expect(asBig.toString()).toBe(text);
  });

  it('reads request ids at the boundary in commands', () => {
    const lookup = readLookup(encodeBaseCommand({ type: CommandType.LOOKUP, lookupTopic: { topic: 't', request_id: '9007199254740992' } }));
    expect(lookup.requestId).toBe(9_007_199_254_740_992n);
    const safe = readLookup(encodeBaseCommand({ type: CommandType.LOOKUP, lookupTopic: { topic: 't', request_id: '9007199254740991' } }));
    expect(safe.requestId).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('LOOKUP_RESPONSE', () => {
  it('reads a failed answer\'s response type, error and message', () => {
    const info = readLookupResponse(
      encodeBaseCommand({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: '3', response: LookupType.Failed, error: ServerError.TopicNotFound, message: 'no such topic' } }),
    );
    expect(info).toEqual({ requestId: 3, response: LookupType.Failed, error: ServerError.TopicNotFound, message: 'no such topic', proxyThroughServiceUrl: false });
  });

  it('reads a redirect with both URLs and proxy_through_service_url', () => {
    const info = readLookupResponse(
      encodeBaseCommand({
        type: CommandType.LOOKUP_RESPONSE,
        lookupTopicResponse: { request_id: '4', response: LookupType.Redirect, brokerServiceUrl: 'pulsar://b:6650', brokerServiceUrlTls: 'pulsar+ssl://b:6651', proxy_through_service_url: true },
      }),
    );
    expect(info).toEqual({ requestId: 4, response: LookupType.Redirect, brokerServiceUrl: 'pulsar://b:6650', brokerServiceUrlTls: 'pulsar+ssl://b:6651', proxyThroughServiceUrl: true });
  });

  it('leaves out what the broker did not send', () => {
    expect(readLookupResponse(encodeBaseCommand({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: '5' } }))).toEqual({ requestId: 5, proxyThroughServiceUrl: false });
  });
});

describe('CLOSE_PRODUCER and CLOSE_CONSUMER', () => {
  it('reads the id, the request id and both assigned URLs', () => {
    const producer = readCloseProducerOrConsumer(
      encodeBaseCommand({ type: CommandType.CLOSE_PRODUCER, close_producer: { producer_id: '11', request_id: '12', assignedBrokerServiceUrl: 'pulsar://b:6650', assignedBrokerServiceUrlTls: 'pulsar+ssl://b:6651' } }),
    );
    expect(producer).toEqual({ type: CommandType.CLOSE_PRODUCER, id: 11, requestId: 12, assignedBrokerServiceUrl: 'pulsar://b:6650', assignedBrokerServiceUrlTls: 'pulsar+ssl://b:6651' });
    const consumer = readCloseProducerOrConsumer(encodeBaseCommand({ type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: '21', request_id: '22', assignedBrokerServiceUrlTls: 'pulsar+ssl://c:6651' } }));
    expect(consumer).toEqual({ type: CommandType.CLOSE_CONSUMER, id: 21, requestId: 22, assignedBrokerServiceUrlTls: 'pulsar+ssl://c:6651' });
  });

  it('refuses one without its ids, naming the command', () => {
    const bare = Buffer.from(Writer.create().uint32(8).uint32(CommandType.CLOSE_CONSUMER).uint32((CommandType.CLOSE_CONSUMER << 3) | 2).bytes(encodeFields([[2, { uint64: 1 }]])).finish());
    expect(() => readCloseProducerOrConsumer(bare)).toThrow(expect.objectContaining({ code: 'PULSAR_FRAME_INVALID', message: expect.stringContaining('CommandCloseConsumer') }));
  });
});

describe('TOPIC_MIGRATED, CONNECT and CONNECTED', () => {
  it('reads a migration\'s URLs', () => {
    const info = readTopicMigrated(encodeBaseCommand({ type: CommandType.TOPIC_MIGRATED, topicMigrated: { resource_id: '1', resource_type: 0, brokerServiceUrl: 'pulsar://m:6650', brokerServiceUrlTls: 'pulsar+ssl://m:6651' } }));
    expect(info).toMatchObject({ brokerServiceUrl: 'pulsar://m:6650', brokerServiceUrlTls: 'pulsar+ssl://m:6651' });
  });

  it('reads what a CONNECT says about the client', () => {
    const info = readConnect(
      encodeBaseCommand({ type: CommandType.CONNECT, connect: { client_version: 'Pulsar-Go-v0.14', protocol_version: 20, auth_method_name: 'token', auth_data: Buffer.from('x'), proxy_to_broker_url: 'b:6651', feature_flags: { supports_auth_refresh: true } } }),
    );
    expect(info).toEqual({ clientVersion: 'Pulsar-Go-v0.14', protocolVersion: 20, authMethodName: 'token', hasAuthData: true, proxyToBrokerUrl: 'b:6651', supportsAuthRefresh: true });
  });

  it('reads CONNECTED\'s server version, protocol version and limit', () => {
    expect(readConnected(encodeBaseCommand({ type: CommandType.CONNECTED, connected: { server_version: 'Pulsar 4', protocol_version: 21, max_message_size: 1024 } }))).toEqual({
      serverVersion: 'Pulsar 4',
      protocolVersion: 21,
      maxMessageSize: 1024,
    });
  });
});
