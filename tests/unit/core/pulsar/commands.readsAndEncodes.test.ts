import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isAppError } from '../../../../shared/errors.ts';
import {
  AUTH_REFRESH_CHALLENGE,
  CommandType,
  commandTypeName,
  encodeAuthResponse,
  encodePing,
  encodePong,
  frame,
  readAuthChallenge,
  readConnected,
  readLookup,
  readProducer,
  readSubscribe,
  rewriteConnect,
  rewriteLookupResponse,
} from '../../../../src-main/core/pulsar/commands.ts';
import { BaseCommandType, big, decodeBaseCommand, type Decoded } from './schema.ts';
import { baseCommand, connectCommand, lookupResponseCommand } from './frames.ts';
import { scanBaseCommandType } from '../../../../src-main/core/pulsar/wire.ts';

/** Encodes a BaseCommand with the independent schema. */
function encode(value: Record<string, unknown>): Buffer {
  return Buffer.from(BaseCommandType.encode(BaseCommandType.fromObject(value)).finish());
}

function thrownCode(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isAppError(error) ? error.code : `not an AppError: ${String(error)}`;
  }
  return undefined;
}

const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

describe('command readers and encoders', () => {
  it('names every command type of the protocol notes', () => {
    expect(CommandType.PRODUCER).toBe(5);
    expect(CommandType.SUBSCRIBE).toBe(4);
    expect(CommandType.AUTH_CHALLENGE).toBe(36);
    expect(CommandType.AUTH_RESPONSE).toBe(37);
    expect(CommandType.TOPIC_MIGRATED).toBe(68);
    expect(commandTypeName(24)).toBe('LOOKUP_RESPONSE');
    expect(commandTypeName(75)).toBe('TYPE_75');
  });

  it('reads LOOKUP, PRODUCER and SUBSCRIBE as encoded by an independent encoder, 64-bit ids included', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.string({ maxLength: 20 }), uint64, uint64, fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: undefined }), (topic, name, id, requestId, producerName) => {
        const lookup = readLookup(encode({ type: 23, lookupTopic: { topic, request_id: requestId.toString(), authoritative: true } }));
        expect(lookup.topic).toBe(topic);
        expect(BigInt(lookup.requestId)).toBe(requestId);
        const producer = readProducer(encode({ type: 5, producer: { topic, producer_id: id.toString(), request_id: requestId.toString(), producer_name: producerName } }));
        expect(producer.topic).toBe(topic);
        expect(BigInt(producer.producerId)).toBe(id);
        expect(BigInt(producer.requestId)).toBe(requestId);
        expect(producer.producerName).toBe(producerName);
        const subscribe = readSubscribe(encode({ type: 4, subscribe: { topic, subscription: name, subType: 1, consumer_id: id.toString(), request_id: requestId.toString() } }));
        expect(subscribe.topic).toBe(topic);
        expect(subscribe.subscription).toBe(name);
        expect(BigInt(subscribe.consumerId)).toBe(id);
        expect(BigInt(subscribe.requestId)).toBe(requestId);
      }),
      { numRuns: 300 },
    );
  });

  it('reads CONNECTED with and without max_message_size', () => {
    expect(readConnected(encode({ type: 3, connected: { server_version: 'Pulsar Server 4.0', protocol_version: 21, max_message_size: 10_485_760 } }))).toEqual({ serverVersion: 'Pulsar Server 4.0', protocolVersion: 21, maxMessageSize: 10_485_760 });
    expect(readConnected(encode({ type: 3, connected: { server_version: 'old' } }))).toEqual({ serverVersion: 'old', protocolVersion: 0 });
  });

  it('reads the token-refresh AUTH_CHALLENGE', () => {
    const challenge = readAuthChallenge(encode({ type: 36, authChallenge: { server_version: 's', challenge: { auth_method_name: 'token', auth_data: Buffer.from(AUTH_REFRESH_CHALLENGE) }, protocol_version: 21 } }));
    expect(challenge.authMethodName).toBe('token');
    expect(challenge.authData?.toString()).toBe(AUTH_REFRESH_CHALLENGE);
    expect(readAuthChallenge(encode({ type: 36, authChallenge: {} }))).toEqual({});
  });

  it('encodes PING, PONG and AUTH_RESPONSE that an independent decoder reads back', () => {
    const ping = decodeBaseCommand(encodePing());
    expect(ping.type).toBe(18);
    expect(Object.prototype.hasOwnProperty.call(ping, 'ping')).toBe(true);
    const pong = decodeBaseCommand(encodePong());
    expect(pong.type).toBe(19);
    expect(Object.prototype.hasOwnProperty.call(pong, 'pong')).toBe(true);
    expect(scanBaseCommandType(encodePing())).toBe(CommandType.PING);

    const jwt = Buffer.from('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0dW5uZWwifQ.sig');
    const decoded = decodeBaseCommand(encodeAuthResponse({ clientVersion: 'pulsar-tunnel 0.1.0', methodName: 'token', data: jwt, protocolVersion: 17 }));
    expect(decoded.type).toBe(37);
    const response = decoded.authResponse as Decoded;
    expect(response.client_version).toBe('pulsar-tunnel 0.1.0');
    expect(response.protocol_version).toBe(17);
    const authData = response.response as Decoded;
    expect(authData.auth_method_name).toBe('token');
    expect(Buffer.from(authData.auth_data as Uint8Array).equals(jwt)).toBe(true);
  });

  it('frames a command as [totalSize][commandSize][command]', () => {
    const command = encodePing();
    const framed = frame(command);
    expect(framed.readUInt32BE(0)).toBe(command.length + 4);
    expect(framed.readUInt32BE(4)).toBe(command.length);
    expect(framed.subarray(8).equals(command)).toBe(true);
    // Followed by a payload the caller forwards itself: totalSize counts it, the bytes are the same.
    const head = frame(command, 100);
    expect(head.readUInt32BE(0)).toBe(command.length + 4 + 100);
    expect(head.subarray(4).equals(framed.subarray(4))).toBe(true);
  });

  it('keeps required fields: a rewritten LOOKUP_RESPONSE still has request_id, a rewritten CONNECT its client_version', () => {
    const lookup = decodeBaseCommand(rewriteLookupResponse(lookupResponseCommand(99, 'b'), { brokerServiceUrl: 'x', brokerServiceUrlTls: 'y', proxyThroughServiceUrl: false }));
    expect(big((lookup.lookupTopicResponse as Decoded).request_id)).toBe(99n);
    const connect = decodeBaseCommand(rewriteConnect(connectCommand({ clientVersion: 'v', proxyToBrokerUrl: 'b:1' }), { stripProxyToBrokerUrl: true }));
    expect((connect.connect as Decoded).client_version).toBe('v');
  });

  it('refuses, with PULSAR_FRAME_INVALID naming the problem, commands of the wrong type or missing required fields', () => {
    expect(thrownCode(() => readLookup(encodePing()))).toBe('PULSAR_FRAME_INVALID');
    expect(() => readLookup(encodePing())).toThrow(/expected a CommandLookupTopic command but got PING/);
    expect(thrownCode(() => rewriteLookupResponse(baseCommand(24), { brokerServiceUrl: 'x', brokerServiceUrlTls: 'y', proxyThroughServiceUrl: true }))).toBe('PULSAR_FRAME_INVALID');
    expect(() => rewriteLookupResponse(baseCommand(24), { brokerServiceUrl: 'x', brokerServiceUrlTls: 'y', proxyThroughServiceUrl: true })).toThrow(/request_id/);
    expect(() => readConnected(Buffer.from([0x08, 0x03]))).toThrow(/CONNECTED command without its CommandConnected body/);
    expect(thrownCode(() => scanBaseCommandType(Buffer.from([0x12, 0x00])))).toBe('PULSAR_FRAME_INVALID');
    // A field of the wrong wire type is refused, not misread.
    // request_id (2) sent length-delimited instead of as a varint.
    expect(() => readLookup(baseCommand(23, Buffer.from([0x0a, 0x01, 0x74, 0x12, 0x01, 0x05])))).toThrow(/field 2 has wire type 2, expected 0/);
  });
});
