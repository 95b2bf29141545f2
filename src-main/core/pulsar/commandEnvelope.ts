/**
 * A Pulsar BaseCommand as the command readers open it: the command types the tunnel names, and
 * the envelope (the type in field 1, the sub-command in the field numbered like the type,
 * docs/pulsar-protocol.md "BaseCommand") with the helpers every reader and rewriter shares.
 */
import { AppError } from '../../../shared/errors.ts';
import { lastField, parseFields, readBytes, readString, readUint32, rewriteFields, type WireField } from './wire.ts';

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

/** The error for a command that does not parse. */
export function invalid(detail: string): AppError {
  return new AppError('PULSAR_FRAME_INVALID', `A Pulsar frame could not be parsed: ${detail}; the connection was closed.`);
}

/** A parsed BaseCommand: its type and its sub-command (the field numbered like the type). */
export interface Envelope {
  fields: WireField[];
  subField: WireField;
  sub: Buffer;
  subFields: WireField[];
}

/** Opens a BaseCommand that must be of one of `types`; returns its fields and its sub-command's. */
export function open(command: Buffer, types: readonly number[], what: string): Envelope & { type: number } {
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
export function replaceSub(command: Buffer, envelope: Envelope, newSub: Buffer): Buffer {
  return rewriteFields(command, envelope.fields, new Map([[envelope.subField.number, { message: newSub }]]));
}

/** The last occurrence of a required field. @throws AppError PULSAR_FRAME_INVALID naming it when absent */
export function required(fields: readonly WireField[], number: number, what: string, name: string): WireField {
  const field = lastField(fields, number);
  if (!field) throw invalid(`${what} lacks its required field ${name} (${number})`);
  return field;
}

/** An optional string field's value, or undefined when absent. */
export function optionalString(sub: Buffer, fields: readonly WireField[], number: number, what: string): string | undefined {
  const field = lastField(fields, number);
  return field ? readString(sub, field, what) : undefined;
}
