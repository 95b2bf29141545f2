/**
 * The Pulsar commands the tunnel reads, rewrites or originates, as pure functions over BaseCommand
 * bytes (no sockets, no state), one module per family: commandEnvelope.ts (types and the envelope),
 * connectCommands.ts (CONNECT, CONNECTED, AUTH_CHALLENGE), brokerUrlCommands.ts (the answers that
 * name a broker), requestCommands.ts (LOOKUP, PRODUCER, SUBSCRIBE) and encodeCommands.ts (what the
 * tunnel sends itself, and framing). Field numbers are those of PulsarApi.proto (apache/pulsar,
 * pulsar-common/src/main/proto/PulsarApi.proto) as summarised in docs/pulsar-protocol.md ("Commands
 * the tunnel touches"). Rewrites work at the wire level (see wire.ts): every field they do not
 * change is kept byte for byte, so fields of newer protocol versions survive, and required fields
 * are never lost. This module is the codec's one entry point for the rest of the engine.
 */
export type { Uint64 } from './wire.ts';
export { CommandType, commandTypeName, LookupResponseType, type CommandTypeName } from './commandEnvelope.ts';
export { AUTH_REFRESH_CHALLENGE, readAuthChallenge, readConnect, readConnected, rewriteConnect, type ConnectedInfo, type ConnectInfo, type ConnectRewrite } from './connectCommands.ts';
export {
  failLookupResponse,
  readCloseProducerOrConsumer,
  readLookupResponse,
  readTopicMigrated,
  rewriteCloseProducerOrConsumer,
  rewriteLookupResponse,
  rewriteTopicMigrated,
  type CloseProducerOrConsumerInfo,
  type LookupResponseInfo,
  type LookupResponseRewrite,
  type TopicMigratedInfo,
} from './brokerUrlCommands.ts';
export { readLookup, readProducer, readSubscribe } from './requestCommands.ts';
export { CONNECT_REQUEST_ID, encodeAuthResponse, encodeCommand, encodeError, encodePing, encodePong, frame, ServerError } from './encodeCommands.ts';
