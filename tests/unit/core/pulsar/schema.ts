/**
 * An independent decoder for the codec's unit tests, over the tests' one copy of PulsarApi.proto
 * (tests/fixtures/pulsarCluster/pulsarApiSchema.ts, shared with the test cluster), loaded with
 * protobufjs's full build. Unlike the cluster's decoder this one returns the raw message: it keeps
 * unknown fields (`$unknowns`, raw bytes in wire order), so a test can check that a rewrite kept
 * them, and it rejects messages that lack a required field.
 */
import protobuf from 'protobufjs';
import { pulsarApiRoot } from '../../../fixtures/pulsarCluster/pulsarApiSchema.ts';

export { knownFieldNumbers } from '../../../fixtures/pulsarCluster/pulsarApiSchema.ts';


/** The BaseCommand type of the test schema. */
export const BaseCommandType = pulsarApiRoot.lookupType('pulsar.proto.BaseCommand');

/** A decoded message: known fields by name, unknown fields' raw bytes in `$unknowns`. */
export type Decoded = Record<string, unknown> & { $unknowns?: Uint8Array[] };

/** Decodes BaseCommand bytes, keeping unknown fields; throws on a missing required field. */
export function decodeBaseCommand(bytes: Uint8Array): Decoded {
  const reader = protobuf.Reader.create(bytes);
  reader.discardUnknown = false;
  return BaseCommandType.decode(reader) as unknown as Decoded;
}

/** Field names present on a decoded message (own enumerable properties). */
export function has(message: Decoded, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, name);
}

/** The unknown fields of a decoded message as Buffers. */
export function unknowns(message: Decoded): Buffer[] {
  return (message.$unknowns ?? []).map((bytes) => Buffer.from(bytes));
}

/** A uint64 as decoded (Long or number) as a bigint. */
export function big(value: unknown): bigint {
  return BigInt(String(value));
}
