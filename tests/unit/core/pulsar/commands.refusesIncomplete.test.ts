/**
 * Every command reader and rewriter refuses a command of another type, one without its body and
 * one without each required field (PULSAR_FRAME_INVALID, naming the field), and reads the optional
 * fields it returns. Commands are built with the test-side schema, or by hand where the schema
 * itself would refuse to encode them.
 */
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import {
  commandTypeName,
  encodeError,
  readCloseProducerOrConsumer,
  readConnect,
  readConnected,
  readLookup,
  readLookupResponse,
  readProducer,
  readSubscribe,
  readTopicMigrated,
  rewriteCloseProducerOrConsumer,
  rewriteConnect,
  rewriteLookupResponse,
  rewriteTopicMigrated,
} from '../../../../src-main/core/pulsar/commands.ts';
import { CommandType, decodeBaseCommand, encodeBaseCommand } from '../../../fixtures/pulsarCluster/protocol.ts';

const { Writer } = protobuf;

/** A BaseCommand of `type` whose body has the given (possibly incomplete) fields, encoded by hand. */
function command(type: number, build: (w: protobuf.Writer) => void = () => undefined, bodyField = type): Buffer {
  const body = Writer.create();
  build(body);
  return Buffer.from(Writer.create().uint32(8).uint32(type).uint32((bodyField << 3) | 2).bytes(body.finish()).finish());
}
const str = (n: number, v: string) => (w: protobuf.Writer) => w.uint32((n << 3) | 2).string(v);
const num = (n: number, v: number) => (w: protobuf.Writer) => w.uint32(n << 3).uint32(v);
const all = (...parts: ((w: protobuf.Writer) => void)[]) => (w: protobuf.Writer) => parts.forEach((part) => part(w));
const refused = (name: string) => expect.objectContaining({ code: 'PULSAR_FRAME_INVALID', message: expect.stringContaining(name) });

const urls = { brokerServiceUrl: 'pulsar://l:1', brokerServiceUrlTls: 'pulsar://l:1' };

describe('names', () => {
  it('names known command types and numbers the rest', () => {
    expect(commandTypeName(24)).toBe('LOOKUP_RESPONSE');
    expect(commandTypeName(68)).toBe('TOPIC_MIGRATED');
    expect(commandTypeName(70)).toBe('TYPE_70');
  });
});

describe('refusals', () => {
  it('refuses a command of another type, naming both', () => {
    const ping = command(CommandType.PING);
    for (const read of [readConnect, readConnected, readLookup, readLookupResponse, readProducer, readSubscribe, readTopicMigrated, readCloseProducerOrConsumer]) {
      expect(() => read(ping)).toThrow(refused('PING'));
    }
    expect(() => rewriteConnect(ping, { stripProxyToBrokerUrl: true })).toThrow(refused('PING'));
    expect(() => rewriteLookupResponse(ping, { ...urls, proxyThroughServiceUrl: true })).toThrow(refused('PING'));
    expect(() => rewriteTopicMigrated(ping, urls)).toThrow(refused('PING'));
    expect(() => rewriteCloseProducerOrConsumer(ping, { assignedBrokerServiceUrl: 'a', assignedBrokerServiceUrlTls: 'b' })).toThrow(refused('PING'));
  });

  it('refuses a command whose body is missing, or with no type at all', () => {
    expect(() => readLookup(command(CommandType.LOOKUP, str(1, 't'), 99))).toThrow(refused('LOOKUP'));
    expect(() => readLookup(Buffer.from(Writer.create().uint32((23 << 3) | 2).bytes(new Uint8Array(0)).finish()))).toThrow(refused('type'));
  });

  it.each([
    ['CONNECT client_version', () => readConnect(command(CommandType.CONNECT, num(4, 21))), 'client_version'],
    ['CONNECT rewrite client_version', () => rewriteConnect(command(CommandType.CONNECT, num(4, 21)), { stripProxyToBrokerUrl: true }), 'client_version'],
    ['CONNECTED server_version', () => readConnected(command(CommandType.CONNECTED, num(2, 21))), 'server_version'],
    ['LOOKUP topic', () => readLookup(command(CommandType.LOOKUP, num(2, 1))), 'topic'],
    ['LOOKUP request_id', () => readLookup(command(CommandType.LOOKUP, str(1, 't'))), 'request_id'],
    ['LOOKUP_RESPONSE request_id', () => readLookupResponse(command(CommandType.LOOKUP_RESPONSE, num(3, 1))), 'request_id'],
    ['PRODUCER topic', () => readProducer(command(CommandType.PRODUCER, all(num(2, 1), num(3, 1)))), 'topic'],
    ['PRODUCER producer_id', () => readProducer(command(CommandType.PRODUCER, all(str(1, 't'), num(3, 1)))), 'producer_id'],
    ['PRODUCER request_id', () => readProducer(command(CommandType.PRODUCER, all(str(1, 't'), num(2, 1)))), 'request_id'],
    ['SUBSCRIBE topic', () => readSubscribe(command(CommandType.SUBSCRIBE, all(str(2, 's'), num(4, 1), num(5, 1)))), 'topic'],
    ['SUBSCRIBE subscription', () => readSubscribe(command(CommandType.SUBSCRIBE, all(str(1, 't'), num(4, 1), num(5, 1)))), 'subscription'],
    ['SUBSCRIBE consumer_id', () => readSubscribe(command(CommandType.SUBSCRIBE, all(str(1, 't'), str(2, 's'), num(5, 1)))), 'consumer_id'],
    ['SUBSCRIBE request_id', () => readSubscribe(command(CommandType.SUBSCRIBE, all(str(1, 't'), str(2, 's'), num(4, 1)))), 'request_id'],
    ['CLOSE_PRODUCER producer_id', () => readCloseProducerOrConsumer(command(CommandType.CLOSE_PRODUCER, num(2, 1))), 'producer_id'],
    ['CLOSE_CONSUMER consumer_id', () => readCloseProducerOrConsumer(command(CommandType.CLOSE_CONSUMER, num(2, 1))), 'consumer_id'],
    ['CLOSE_PRODUCER request_id', () => readCloseProducerOrConsumer(command(CommandType.CLOSE_PRODUCER, num(1, 1))), 'request_id'],
    ['CLOSE rewrite id', () => rewriteCloseProducerOrConsumer(command(CommandType.CLOSE_CONSUMER, num(2, 1)), { assignedBrokerServiceUrl: 'a', assignedBrokerServiceUrlTls: 'b' }), 'id'],
    ['CLOSE rewrite request_id', () => rewriteCloseProducerOrConsumer(command(CommandType.CLOSE_PRODUCER, num(1, 1)), { assignedBrokerServiceUrl: 'a', assignedBrokerServiceUrlTls: 'b' }), 'request_id'],
    ['TOPIC_MIGRATED rewrite resource_id', () => rewriteTopicMigrated(command(CommandType.TOPIC_MIGRATED, num(2, 0)), urls), 'resource_id'],
    ['TOPIC_MIGRATED rewrite resource_type', () => rewriteTopicMigrated(command(CommandType.TOPIC_MIGRATED, num(1, 0)), urls), 'resource_type'],
  ])('refuses a %s-less command, naming it', (_name, run, field) => {
    expect(run).toThrow(refused(field));
  });
});

describe('optional fields', () => {
  it('reads a producer\'s name when it has one', () => {
    const named = readProducer(encodeBaseCommand({ type: CommandType.PRODUCER, producer: { topic: 't', producer_id: '1', request_id: '2', producer_name: 'p-1' } }));
    expect(named).toEqual({ topic: 't', producerId: 1, requestId: 2, producerName: 'p-1' });
    expect(readProducer(encodeBaseCommand({ type: CommandType.PRODUCER, producer: { topic: 't', producer_id: '1', request_id: '2' } }))).toEqual({ topic: 't', producerId: 1, requestId: 2 });
  });

  it('reads a subscription with its ids', () => {
    expect(readSubscribe(encodeBaseCommand({ type: CommandType.SUBSCRIBE, subscribe: { topic: 't', subscription: 's', subType: 1, consumer_id: '3', request_id: '4' } }))).toEqual({ topic: 't', subscription: 's', consumerId: 3, requestId: 4 });
  });

  it('reads a CONNECT without optional fields as no credential, protocol 0, no refresh', () => {
    expect(readConnect(command(CommandType.CONNECT, str(1, 'v')))).toEqual({ clientVersion: 'v', protocolVersion: 0, hasAuthData: false, supportsAuthRefresh: false });
    expect(readConnect(command(CommandType.CONNECT, all(str(1, 'v'), (w) => w.uint32((3 << 3) | 2).bytes(new Uint8Array(0)))))).toMatchObject({ hasAuthData: false });
  });

  it('writes an ERROR with its request id, code and message', () => {
    const error = decodeBaseCommand(encodeError({ requestId: 18_446_744_073_709_551_615n, error: 6, message: 'why' }));
    expect(error).toMatchObject({ type: CommandType.ERROR, error: { request_id: '18446744073709551615', error: 6, message: 'why' } });
  });
});
