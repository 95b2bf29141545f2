/**
 * An independent decoder for the tests: a small proto2 schema written from docs/pulsar-protocol.md
 * ("Commands the tunnel touches") and PulsarApi.proto, loaded with protobufjs's full build. Decoding keeps unknown fields
 * (`$unknowns`, raw bytes in wire order) and rejects messages that lack a required field.
 */
import protobuf from 'protobufjs';

const proto = `
syntax = "proto2";
message FeatureFlags {
  optional bool supports_auth_refresh = 1;
  optional bool supports_broker_entry_metadata = 2;
}
message AuthData {
  optional string auth_method_name = 1;
  optional bytes auth_data = 2;
}
message CommandConnect {
  required string client_version = 1;
  optional int32 auth_method = 2;
  optional bytes auth_data = 3;
  optional int32 protocol_version = 4;
  optional string auth_method_name = 5;
  optional string proxy_to_broker_url = 6;
  optional string original_principal = 7;
  optional string original_auth_data = 8;
  optional string original_auth_method = 9;
  optional FeatureFlags feature_flags = 10;
  optional string proxy_version = 11;
}
message CommandConnected {
  required string server_version = 1;
  optional int32 protocol_version = 2;
  optional int32 max_message_size = 3;
}
message CommandLookupTopic {
  required string topic = 1;
  required uint64 request_id = 2;
  optional bool authoritative = 3;
}
message CommandLookupTopicResponse {
  optional string brokerServiceUrl = 1;
  optional string brokerServiceUrlTls = 2;
  optional int32 response = 3;
  required uint64 request_id = 4;
  optional bool authoritative = 5;
  optional int32 error = 6;
  optional string message = 7;
  optional bool proxy_through_service_url = 8;
}
message CommandCloseProducer {
  required uint64 producer_id = 1;
  required uint64 request_id = 2;
  optional string assignedBrokerServiceUrl = 3;
  optional string assignedBrokerServiceUrlTls = 4;
}
message CommandCloseConsumer {
  required uint64 consumer_id = 1;
  required uint64 request_id = 2;
  optional string assignedBrokerServiceUrl = 3;
  optional string assignedBrokerServiceUrlTls = 4;
}
message CommandTopicMigrated {
  required uint64 resource_id = 1;
  required int32 resource_type = 2;
  optional string brokerServiceUrl = 3;
  optional string brokerServiceUrlTls = 4;
}
message CommandProducer {
  required string topic = 1;
  required uint64 producer_id = 2;
  required uint64 request_id = 3;
  optional string producer_name = 4;
}
message CommandSubscribe {
  required string topic = 1;
  required string subscription = 2;
  required int32 subType = 3;
  required uint64 consumer_id = 4;
  required uint64 request_id = 5;
}
message CommandPing {}
message CommandPong {}
message CommandAuthChallenge {
  optional string server_version = 1;
  optional AuthData challenge = 2;
  optional int32 protocol_version = 3;
}
message CommandAuthResponse {
  optional string client_version = 1;
  optional AuthData response = 2;
  optional int32 protocol_version = 3;
}
message BaseCommand {
  required int32 type = 1;
  optional CommandConnect connect = 2;
  optional CommandConnected connected = 3;
  optional CommandSubscribe subscribe = 4;
  optional CommandProducer producer = 5;
  optional CommandCloseProducer close_producer = 15;
  optional CommandCloseConsumer close_consumer = 16;
  optional CommandPing ping = 18;
  optional CommandPong pong = 19;
  optional CommandLookupTopic lookupTopic = 23;
  optional CommandLookupTopicResponse lookupTopicResponse = 24;
  optional CommandAuthChallenge authChallenge = 36;
  optional CommandAuthResponse authResponse = 37;
  optional CommandTopicMigrated topicMigrated = 68;
}
`;

const root = protobuf.parse(proto, { keepCase: true }).root;

/** The BaseCommand type of the test schema. */
export const BaseCommandType = root.lookupType('BaseCommand');

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
