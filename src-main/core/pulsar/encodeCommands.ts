/**
 * The commands the tunnel originates (PING, PONG, ERROR, AUTH_RESPONSE) and the framing of a
 * BaseCommand (docs/pulsar-protocol.md, "Framing").
 */
import { CommandType } from './commandEnvelope.ts';
import { encodeFields, type Uint64 } from './wire.ts';

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
