/**
 * The Pulsar commands the tunnel reads, rewrites or originates, as pure functions over BaseCommand
 * bytes (no sockets, no state). Field numbers are those of PulsarApi.proto (apache/pulsar,
 * pulsar-common/src/main/proto/PulsarApi.proto) as summarised in docs/pulsar-protocol.md ("Commands the tunnel touches"). Rewrites work
 * at the wire level (see wire.ts): every field they do not change is kept byte for byte, so fields
 * of newer protocol versions survive, and required fields are never lost.
 */
import { AppError } from '../../../shared/errors.ts';
import {
  encodeFields,
  lastField,
  parseFields,
  readBool,
  readBytes,
  readInt32,
  readString,
  readUint32,
  readUint64,
  rewriteFields,
  type FieldValue,
  type Uint64,
  type WireField,
} from './wire.ts';

export type { Uint64 } from './wire.ts';

/** BaseCommand.Type values (the sub-command lives in the BaseCommand field of the same number). */
export const CommandType = {
  CONNECT: 2,
  CONNECTED: 3,
  SUBSCRIBE: 4,
  PRODUCER: 5,
  SEND: 6,
  SEND_RECEIPT: 7,
  SEND_ERROR: 8,
  MESSAGE: 9,
  ACK: 10,
  FLOW: 11,
  SUCCESS: 13,
  ERROR: 14,
  CLOSE_PRODUCER: 15,
  CLOSE_CONSUMER: 16,
  PRODUCER_SUCCESS: 17,
  PING: 18,
  PONG: 19,
  PARTITIONED_METADATA: 21,
  PARTITIONED_METADATA_RESPONSE: 22,
  LOOKUP: 23,
  LOOKUP_RESPONSE: 24,
  GET_TOPICS_OF_NAMESPACE: 32,
  GET_TOPICS_OF_NAMESPACE_RESPONSE: 33,
  AUTH_CHALLENGE: 36,
  AUTH_RESPONSE: 37,
  ACK_RESPONSE: 38,
  TOPIC_MIGRATED: 68,
} as const;

/** The name of every command type in {@link CommandType}. */
export type CommandTypeName = keyof typeof CommandType;

const commandTypeNames = new Map<number, CommandTypeName>(
  (Object.entries(CommandType) as Array<[CommandTypeName, number]>).map(([name, value]) => [value, name]),
);

/** A command type's name for logs, e.g. "LOOKUP_RESPONSE", or "TYPE_70" for one we do not name. */
export function commandTypeName(type: number): string {
  return commandTypeNames.get(type) ?? `TYPE_${type}`;
}

/** CommandLookupTopicResponse.LookupType. */
export const LookupResponseType = { Redirect: 0, Connect: 1, Failed: 2 } as const;

function invalid(detail: string): AppError {
  return new AppError('PULSAR_FRAME_INVALID', `A Pulsar frame could not be parsed: ${detail}; the connection was closed.`);
}

/** A parsed BaseCommand: its type and its sub-command (the field numbered like the type). */
interface Envelope {
  fields: WireField[];
  subField: WireField;
  sub: Buffer;
  subFields: WireField[];
}

/** Opens a BaseCommand that must be of one of `types`; returns its fields and its sub-command's. */
function open(command: Buffer, types: readonly number[], what: string): Envelope & { type: number } {
  const fields = parseFields(command, 'BaseCommand');
  const typeField = lastField(fields, 1);
  if (!typeField) throw invalid('BaseCommand has no type (field 1)');
  const type = readUint32(command, typeField, 'BaseCommand');
  if (!types.includes(type)) {
    throw invalid(`expected a ${what} command but got ${commandTypeName(type)} (${type})`);
  }
  const subField = lastField(fields, type);
  if (!subField) throw invalid(`${commandTypeName(type)} command without its ${what} body (field ${type})`);
  const sub = readBytes(command, subField, 'BaseCommand');
  return { type, fields, subField, sub, subFields: parseFields(sub, what) };
}

/** Replaces the sub-command of a BaseCommand, keeping its other fields byte for byte. */
function replaceSub(command: Buffer, envelope: Envelope, newSub: Buffer): Buffer {
  return rewriteFields(command, envelope.fields, new Map([[envelope.subField.number, { message: newSub }]]));
}

function required(fields: readonly WireField[], number: number, what: string, name: string): WireField {
  const field = lastField(fields, number);
  if (!field) throw invalid(`${what} lacks its required field ${name} (${number})`);
  return field;
}

function optionalString(sub: Buffer, fields: readonly WireField[], number: number, what: string): string | undefined {
  const field = lastField(fields, number);
  return field ? readString(sub, field, what) : undefined;
}

/** What the tunnel needs from a client's CONNECT. */
export interface ConnectInfo {
  clientVersion: string;
  protocolVersion: number;
  authMethodName?: string;
  /** True when auth_data (field 3) is present and not empty. */
  hasAuthData: boolean;
  /** `host:port` the client asks a proxy to reach (field 6). */
  proxyToBrokerUrl?: string;
  /** FeatureFlags.supports_auth_refresh (field 10.1). */
  supportsAuthRefresh: boolean;
}

/**
 * Reads a CONNECT (2).
 * @throws AppError PULSAR_FRAME_INVALID when malformed or not a CONNECT
 */
export function readConnect(command: Buffer): ConnectInfo {
  const { sub, subFields } = open(command, [CommandType.CONNECT], 'CommandConnect');
  const what = 'CommandConnect';
  const clientVersion = readString(sub, required(subFields, 1, what, 'client_version'), what);
  const protocolField = lastField(subFields, 4);
  const authDataField = lastField(subFields, 3);
  const flagsField = lastField(subFields, 10);
  let supportsAuthRefresh = false;
  if (flagsField) {
    const flags = readBytes(sub, flagsField, what);
    const refresh = lastField(parseFields(flags, 'FeatureFlags'), 1);
    supportsAuthRefresh = refresh ? readBool(flags, refresh, 'FeatureFlags') : false;
  }
  const info: ConnectInfo = {
    clientVersion,
    protocolVersion: protocolField ? readInt32(sub, protocolField, what) : 0,
    hasAuthData: authDataField ? readBytes(sub, authDataField, what).length > 0 : false,
    supportsAuthRefresh,
  };
  const authMethodName = optionalString(sub, subFields, 5, what);
  if (authMethodName !== undefined) info.authMethodName = authMethodName;
  const proxyToBrokerUrl = optionalString(sub, subFields, 6, what);
  if (proxyToBrokerUrl !== undefined) info.proxyToBrokerUrl = proxyToBrokerUrl;
  return info;
}

/** Changes {@link rewriteConnect} can make. */
export interface ConnectRewrite {
  /** Remove proxy_to_broker_url (6): a broker is no proxy. */
  stripProxyToBrokerUrl?: boolean;
  /**
   * Set auth_method_name (5) and auth_data (3), replacing what the client sent, and remove the
   * proxy-only original_principal, original_auth_data and original_auth_method (7–9).
   */
  injectAuth?: { methodName: string; data: Buffer };
  /**
   * Set FeatureFlags.supports_auth_refresh (10.1) to true (adding FeatureFlags if absent), for a
   * tunnel that answers the broker's refresh challenge itself with {@link encodeAuthResponse}.
   */
  enableAuthRefresh?: boolean;
}

/**
 * Rewrites a CONNECT (2). Never sets the proxy-only original_* fields (7–9), and removes them when
 * it injects a credential: a broker takes them as the real caller's identity from a connection
 * authenticated as one of its proxyRoles, so beside a profile credential that is such a role they
 * would let any local client act as any role. Keeps every other field byte for byte.
 * @throws AppError PULSAR_FRAME_INVALID when malformed or not a CONNECT
 */
export function rewriteConnect(command: Buffer, opts: ConnectRewrite): Buffer {
  const envelope = open(command, [CommandType.CONNECT], 'CommandConnect');
  const { sub, subFields } = envelope;
  required(subFields, 1, 'CommandConnect', 'client_version');
  const edits = new Map<number, FieldValue>();
  if (opts.stripProxyToBrokerUrl) edits.set(6, null);
  if (opts.injectAuth) {
    edits.set(5, { string: opts.injectAuth.methodName });
    edits.set(3, { bytes: opts.injectAuth.data });
    for (const proxyOnly of [7, 8, 9]) edits.set(proxyOnly, null);
  }
  if (opts.enableAuthRefresh) {
    const refresh: FieldValue = { bool: true };
    const flagsField = lastField(subFields, 10);
    if (flagsField) {
      const flags = readBytes(sub, flagsField, 'CommandConnect');
      edits.set(10, { message: rewriteFields(flags, parseFields(flags, 'FeatureFlags'), new Map([[1, refresh]])) });
    } else {
      edits.set(10, { message: encodeFields([[1, refresh]]) });
    }
  }
  if (edits.size === 0) return command;
  return replaceSub(command, envelope, rewriteFields(sub, subFields, edits));
}

/** What the tunnel needs from a broker's CONNECTED. */
export interface ConnectedInfo {
  serverVersion: string;
  protocolVersion: number;
  /** The broker's maxMessageSize; the frame limit is this + 10,240. */
  maxMessageSize?: number;
}

/**
 * Reads a CONNECTED (3).
 * @throws AppError PULSAR_FRAME_INVALID when malformed or not a CONNECTED
 */
export function readConnected(command: Buffer): ConnectedInfo {
  const what = 'CommandConnected';
  const { sub, subFields } = open(command, [CommandType.CONNECTED], what);
  const protocolField = lastField(subFields, 2);
  const maxField = lastField(subFields, 3);
  const info: ConnectedInfo = {
    serverVersion: readString(sub, required(subFields, 1, what, 'server_version'), what),
    protocolVersion: protocolField ? readInt32(sub, protocolField, what) : 0,
  };
  if (maxField) info.maxMessageSize = readInt32(sub, maxField, what);
  return info;
}

/**
 * Reads a LOOKUP (23).
 * @throws AppError PULSAR_FRAME_INVALID when malformed or not a LOOKUP
 */
export function readLookup(command: Buffer): { topic: string; requestId: Uint64 } {
  const what = 'CommandLookupTopic';
  const { sub, subFields } = open(command, [CommandType.LOOKUP], what);
  return {
    topic: readString(sub, required(subFields, 1, what, 'topic'), what),
    requestId: readUint64(sub, required(subFields, 2, what, 'request_id'), what),
  };
}

/** What the tunnel needs from a LOOKUP_RESPONSE. */
export interface LookupResponseInfo {
  brokerServiceUrl?: string;
  brokerServiceUrlTls?: string;
  /** {@link LookupResponseType}: Redirect 0, Connect 1, Failed 2. */
  response?: number;
  requestId: Uint64;
  proxyThroughServiceUrl: boolean;
  /** ServerError when Failed. */
  error?: number;
  message?: string;
}

/**
 * Reads a LOOKUP_RESPONSE (24).
 * @throws AppError PULSAR_FRAME_INVALID when malformed or not a LOOKUP_RESPONSE
 */
export function readLookupResponse(command: Buffer): LookupResponseInfo {
  const what = 'CommandLookupTopicResponse';
  const { sub, subFields } = open(command, [CommandType.LOOKUP_RESPONSE], what);
  const proxyField = lastField(subFields, 8);
  const info: LookupResponseInfo = {
    requestId: readUint64(sub, required(subFields, 4, what, 'request_id'), what),
    proxyThroughServiceUrl: proxyField ? readBool(sub, proxyField, what) : false,
  };
  const brokerServiceUrl = optionalString(sub, subFields, 1, what);
  if (brokerServiceUrl !== undefined) info.brokerServiceUrl = brokerServiceUrl;
  const brokerServiceUrlTls = optionalString(sub, subFields, 2, what);
  if (brokerServiceUrlTls !== undefined) info.brokerServiceUrlTls = brokerServiceUrlTls;
  const responseField = lastField(subFields, 3);
  if (responseField) info.response = readUint32(sub, responseField, what);
  const errorField = lastField(subFields, 6);
  if (errorField) info.error = readUint32(sub, errorField, what);
  const message = optionalString(sub, subFields, 7, what);
  if (message !== undefined) info.message = message;
  return info;
}

/** New broker URLs for a LOOKUP_RESPONSE. */
export interface LookupResponseRewrite {
  brokerServiceUrl: string;
  brokerServiceUrlTls: string;
  proxyThroughServiceUrl: boolean;
}

/**
 * Rewrites a LOOKUP_RESPONSE (24): fields 1 and 2 replaced (or added), field 8 set, all else kept.
 * @throws AppError PULSAR_FRAME_INVALID when malformed, not a LOOKUP_RESPONSE, or without request_id
 */
export function rewriteLookupResponse(command: Buffer, opts: LookupResponseRewrite): Buffer {
  const what = 'CommandLookupTopicResponse';
  const envelope = open(command, [CommandType.LOOKUP_RESPONSE], what);
  required(envelope.subFields, 4, what, 'request_id');
  const edits = new Map<number, FieldValue>([
    [1, { string: opts.brokerServiceUrl }],
    [2, { string: opts.brokerServiceUrlTls }],
    [8, { bool: opts.proxyThroughServiceUrl }],
  ]);
  return replaceSub(command, envelope, rewriteFields(envelope.sub, envelope.subFields, edits));
}

/**
 * Turns a LOOKUP_RESPONSE (24) into a Failed answer (ServiceNotReady) carrying `message`, with the
 * broker URLs removed, for an answer the tunnel cannot serve; request_id and all else are kept.
 * @throws AppError PULSAR_FRAME_INVALID when malformed, not a LOOKUP_RESPONSE, or without request_id
 */
export function failLookupResponse(command: Buffer, message: string): Buffer {
  const what = 'CommandLookupTopicResponse';
  const envelope = open(command, [CommandType.LOOKUP_RESPONSE], what);
  required(envelope.subFields, 4, what, 'request_id');
  const edits = new Map<number, FieldValue>([
    [1, null],
    [2, null],
    [3, { uint32: LookupResponseType.Failed }],
    [6, { uint32: ServerError.ServiceNotReady }],
    [7, { string: message }],
    [8, null],
  ]);
  return replaceSub(command, envelope, rewriteFields(envelope.sub, envelope.subFields, edits));
}

/** A broker-initiated CLOSE_PRODUCER (15) or CLOSE_CONSUMER (16). */
export interface CloseProducerOrConsumerInfo {
  type: typeof CommandType.CLOSE_PRODUCER | typeof CommandType.CLOSE_CONSUMER;
  /** producer_id or consumer_id (field 1). */
  id: Uint64;
  requestId: Uint64;
  assignedBrokerServiceUrl?: string;
  assignedBrokerServiceUrlTls?: string;
}

const closeTypes = [CommandType.CLOSE_PRODUCER, CommandType.CLOSE_CONSUMER] as const;

function closeName(type: number): string {
  return type === CommandType.CLOSE_PRODUCER ? 'CommandCloseProducer' : 'CommandCloseConsumer';
}

/**
 * Reads a CLOSE_PRODUCER (15) or CLOSE_CONSUMER (16).
 * @throws AppError PULSAR_FRAME_INVALID when malformed or of another type
 */
export function readCloseProducerOrConsumer(command: Buffer): CloseProducerOrConsumerInfo {
  const { type, sub, subFields } = open(command, closeTypes, 'CommandCloseProducer/CommandCloseConsumer');
  const what = closeName(type);
  const info: CloseProducerOrConsumerInfo = {
    type: type as CloseProducerOrConsumerInfo['type'],
    id: readUint64(sub, required(subFields, 1, what, type === CommandType.CLOSE_PRODUCER ? 'producer_id' : 'consumer_id'), what),
    requestId: readUint64(sub, required(subFields, 2, what, 'request_id'), what),
  };
  const url = optionalString(sub, subFields, 3, what);
  if (url !== undefined) info.assignedBrokerServiceUrl = url;
  const urlTls = optionalString(sub, subFields, 4, what);
  if (urlTls !== undefined) info.assignedBrokerServiceUrlTls = urlTls;
  return info;
}

/**
 * Rewrites the assigned broker URLs (fields 3 and 4, replaced or added; null removes them, so the
 * client finds the topic's broker with a new lookup) of a CLOSE_PRODUCER (15) or CLOSE_CONSUMER
 * (16); call it only when the broker set one. All else is kept.
 * @throws AppError PULSAR_FRAME_INVALID when malformed or of another type
 */
export function rewriteCloseProducerOrConsumer(command: Buffer, opts: { assignedBrokerServiceUrl: string | null; assignedBrokerServiceUrlTls: string | null }): Buffer {
  const envelope = open(command, closeTypes, 'CommandCloseProducer/CommandCloseConsumer');
  const what = closeName(envelope.type);
  required(envelope.subFields, 1, what, 'id');
  required(envelope.subFields, 2, what, 'request_id');
  const edits = new Map<number, FieldValue>([
    [3, opts.assignedBrokerServiceUrl === null ? null : { string: opts.assignedBrokerServiceUrl }],
    [4, opts.assignedBrokerServiceUrlTls === null ? null : { string: opts.assignedBrokerServiceUrlTls }],
  ]);
  return replaceSub(command, envelope, rewriteFields(envelope.sub, envelope.subFields, edits));
}

/** A TOPIC_MIGRATED (68). */
export interface TopicMigratedInfo {
  resourceId: Uint64;
  /** ResourceType: Producer 0, Consumer 1. */
  resourceType: number;
  brokerServiceUrl?: string;
  brokerServiceUrlTls?: string;
}

/**
 * Reads a TOPIC_MIGRATED (68).
 * @throws AppError PULSAR_FRAME_INVALID when malformed or of another type
 */
export function readTopicMigrated(command: Buffer): TopicMigratedInfo {
  const what = 'CommandTopicMigrated';
  const { sub, subFields } = open(command, [CommandType.TOPIC_MIGRATED], what);
  const info: TopicMigratedInfo = {
    resourceId: readUint64(sub, required(subFields, 1, what, 'resource_id'), what),
    resourceType: readUint32(sub, required(subFields, 2, what, 'resource_type'), what),
  };
  const url = optionalString(sub, subFields, 3, what);
  if (url !== undefined) info.brokerServiceUrl = url;
  const urlTls = optionalString(sub, subFields, 4, what);
  if (urlTls !== undefined) info.brokerServiceUrlTls = urlTls;
  return info;
}

/**
 * Rewrites the broker URLs (fields 3 and 4, replaced or added) of a TOPIC_MIGRATED (68).
 * @throws AppError PULSAR_FRAME_INVALID when malformed or of another type
 */
export function rewriteTopicMigrated(command: Buffer, opts: { brokerServiceUrl: string; brokerServiceUrlTls: string }): Buffer {
  const what = 'CommandTopicMigrated';
  const envelope = open(command, [CommandType.TOPIC_MIGRATED], what);
  required(envelope.subFields, 1, what, 'resource_id');
  required(envelope.subFields, 2, what, 'resource_type');
  const edits = new Map<number, FieldValue>([
    [3, { string: opts.brokerServiceUrl }],
    [4, { string: opts.brokerServiceUrlTls }],
  ]);
  return replaceSub(command, envelope, rewriteFields(envelope.sub, envelope.subFields, edits));
}

/**
 * Reads a PRODUCER (5): CommandProducer 1 topic, 2 producer_id, 3 request_id, 4 producer_name.
 * @throws AppError PULSAR_FRAME_INVALID when malformed or of another type
 */
export function readProducer(command: Buffer): { topic: string; producerId: Uint64; requestId: Uint64; producerName?: string } {
  const what = 'CommandProducer';
  const { sub, subFields } = open(command, [CommandType.PRODUCER], what);
  const info: { topic: string; producerId: Uint64; requestId: Uint64; producerName?: string } = {
    topic: readString(sub, required(subFields, 1, what, 'topic'), what),
    producerId: readUint64(sub, required(subFields, 2, what, 'producer_id'), what),
    requestId: readUint64(sub, required(subFields, 3, what, 'request_id'), what),
  };
  const name = optionalString(sub, subFields, 4, what);
  if (name !== undefined) info.producerName = name;
  return info;
}

/**
 * Reads a SUBSCRIBE (4): CommandSubscribe 1 topic, 2 subscription, 4 consumer_id, 5 request_id.
 * @throws AppError PULSAR_FRAME_INVALID when malformed or of another type
 */
export function readSubscribe(command: Buffer): { topic: string; subscription: string; consumerId: Uint64; requestId: Uint64 } {
  const what = 'CommandSubscribe';
  const { sub, subFields } = open(command, [CommandType.SUBSCRIBE], what);
  return {
    topic: readString(sub, required(subFields, 1, what, 'topic'), what),
    subscription: readString(sub, required(subFields, 2, what, 'subscription'), what),
    consumerId: readUint64(sub, required(subFields, 4, what, 'consumer_id'), what),
    requestId: readUint64(sub, required(subFields, 5, what, 'request_id'), what),
  };
}

/** The auth-refresh challenge's auth_data: the broker asks for the current credential. */
export const AUTH_REFRESH_CHALLENGE = 'PulsarAuthRefresh';

/**
 * Reads an AUTH_CHALLENGE (36): CommandAuthChallenge 2 challenge = AuthData{1 auth_method_name, 2 auth_data}.
 * `authData` equal to {@link AUTH_REFRESH_CHALLENGE} is the token-refresh challenge.
 * @throws AppError PULSAR_FRAME_INVALID when malformed or of another type
 */
export function readAuthChallenge(command: Buffer): { authMethodName?: string; authData?: Buffer } {
  const what = 'CommandAuthChallenge';
  const { sub, subFields } = open(command, [CommandType.AUTH_CHALLENGE], what);
  const challengeField = lastField(subFields, 2);
  const info: { authMethodName?: string; authData?: Buffer } = {};
  if (!challengeField) return info;
  const challenge = readBytes(sub, challengeField, what);
  const authFields = parseFields(challenge, 'AuthData');
  const name = optionalString(challenge, authFields, 1, 'AuthData');
  if (name !== undefined) info.authMethodName = name;
  const dataField = lastField(authFields, 2);
  if (dataField) info.authData = Buffer.from(readBytes(challenge, dataField, 'AuthData'));
  return info;
}

/**
 * A BaseCommand of `type` around its sub-command: field 1 is the type, and the sub-command sits in
 * the field whose number equals the type (docs/pulsar-protocol.md, "BaseCommand").
 */
export function encodeCommand(type: number, body: Uint8Array): Buffer {
  return encodeFields([
    [1, { uint32: type }],
    [type, { message: body }],
  ]);
}

/** A PING (18) BaseCommand: type 18 and an empty CommandPing in field 18. */
export function encodePing(): Buffer {
  return encodeCommand(CommandType.PING, new Uint8Array(0));
}

/** A PONG (19) BaseCommand: type 19 and an empty CommandPong in field 19. */
export function encodePong(): Buffer {
  return encodeCommand(CommandType.PONG, new Uint8Array(0));
}

/** ServerError values the tunnel answers with (PulsarApi.proto enum ServerError). */
export const ServerError = { UnknownError: 0, AuthenticationError: 3, ServiceNotReady: 6 } as const;

/** request_id -1 as a uint64: what brokers put in an ERROR that answers a CONNECT (which has no id). */
export const CONNECT_REQUEST_ID = 0xffff_ffff_ffff_ffffn;

/**
 * An ERROR (14) BaseCommand: CommandError 1 request_id, 2 error (ServerError), 3 message, all required.
 */
export function encodeError(opts: { requestId: Uint64; error: number; message: string }): Buffer {
  const body = encodeFields([
    [1, { uint64: opts.requestId }],
    [2, { uint32: opts.error }],
    [3, { string: opts.message }],
  ]);
  return encodeCommand(CommandType.ERROR, body);
}

/**
 * An AUTH_RESPONSE (37) BaseCommand: CommandAuthResponse 1 client_version,
 * 2 response = AuthData{1 auth_method_name, 2 auth_data}, 3 protocol_version.
 */
export function encodeAuthResponse(opts: { clientVersion: string; methodName: string; data: Buffer; protocolVersion: number }): Buffer {
  const authData = encodeFields([
    [1, { string: opts.methodName }],
    [2, { bytes: opts.data }],
  ]);
  const response = encodeFields([
    [1, { string: opts.clientVersion }],
    [2, { message: authData }],
    [3, { int32: opts.protocolVersion }],
  ]);
  return encodeCommand(CommandType.AUTH_RESPONSE, response);
}

/**
 * Frames a BaseCommand: `[totalSize][commandSize][command]` with totalSize = 4 + commandSize +
 * `payloadSize` (see docs/pulsar-protocol.md, "Framing"). With the default 0 it is a whole simple
 * command; the frame reader passes the size of a payload that follows, which it forwards itself.
 */
export function frame(command: Buffer, payloadSize = 0): Buffer {
  const out = Buffer.allocUnsafe(8 + command.length);
  out.writeUInt32BE(4 + command.length + payloadSize, 0);
  out.writeUInt32BE(command.length, 4);
  command.copy(out, 8);
  return out;
}
