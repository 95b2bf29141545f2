/**
 * The client → broker requests the tunnel reads to route and to log: LOOKUP (the topic a lookup
 * answer belongs to), PRODUCER and SUBSCRIBE (names for the connection log). Read only, never
 * rewritten.
 */
import { CommandType, open, optionalString, required } from './commandEnvelope.ts';
import { readString, readUint64, type Uint64 } from './wire.ts';

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
