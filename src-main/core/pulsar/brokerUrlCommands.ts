/**
 * The broker → client commands that name a broker URL, which the tunnel rewrites to its own local
 * listeners: LOOKUP_RESPONSE (or fails it when it cannot be served), CLOSE_PRODUCER/CLOSE_CONSUMER
 * with an assigned broker, and TOPIC_MIGRATED. Every field a rewrite does not change is kept byte
 * for byte (wire.ts).
 */
import { CommandType, LookupResponseType, open, optionalString, replaceSub, required } from './commandEnvelope.ts';
import { ServerError } from './encodeCommands.ts';
import { lastField, readBool, readUint32, readUint64, rewriteFields, type FieldValue, type Uint64 } from './wire.ts';

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
