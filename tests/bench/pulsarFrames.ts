/**
 * Pulsar frames for the benchmark's inspect-vs-raw comparison: both tunnels carry the same frames,
 * so the only difference is the frame reader and rewriter. Built with the engine's own wire helpers.
 */
import { encodeFields } from '../../src-main/core/pulsar/wire.ts';
import { CommandType, encodeCommand as command, frame } from '../../src-main/core/pulsar/commands.ts';

/** A payload frame: command, then magic 0x0e01, a checksum (not checked here), metadata, payload. */
function payloadFrame(cmd: Buffer, payload: Buffer): Buffer {
  const metadata = encodeFields([
    [1, { string: 'bench' }],
    [2, { uint64: 1 }],
    [3, { uint64: 1 }],
  ]);
  const head = Buffer.alloc(8 + cmd.length + 2 + 4 + 4);
  const totalSize = 4 + cmd.length + 2 + 4 + 4 + metadata.length + payload.length;
  head.writeUInt32BE(totalSize, 0);
  head.writeUInt32BE(cmd.length, 4);
  cmd.copy(head, 8);
  let at = 8 + cmd.length;
  head.writeUInt16BE(0x0e01, at);
  at += 2;
  head.writeUInt32BE(0, at);
  at += 4;
  head.writeUInt32BE(metadata.length, at);
  return Buffer.concat([head, metadata, payload]);
}

export const connectFrame = frame(command(CommandType.CONNECT, encodeFields([[1, { string: 'bench-client' }], [4, { int32: 21 }]])));
export const connectedFrame = frame(command(CommandType.CONNECTED, encodeFields([[1, { string: 'bench-broker' }], [2, { int32: 21 }], [3, { int32: 5 * 1024 * 1024 }]])));
export const pingFrame = frame(command(CommandType.PING, Buffer.alloc(0)));
export const pongFrame = frame(command(CommandType.PONG, Buffer.alloc(0)));

export function sendFrame(sequence: number, payload: Buffer): Buffer {
  return payloadFrame(command(CommandType.SEND, encodeFields([[1, { uint64: 1 }], [2, { uint64: sequence }]])), payload);
}

export function messageFrame(entry: number, payload: Buffer): Buffer {
  const messageId = encodeFields([[1, { uint64: 1 }], [2, { uint64: entry }]]);
  return payloadFrame(command(CommandType.MESSAGE, encodeFields([[1, { uint64: 1 }], [2, { message: messageId }]])), payload);
}

/** FLOW asking for `permits` MESSAGE frames. */
export function flowFrame(permits: number): Buffer {
  return frame(command(CommandType.FLOW, encodeFields([[1, { uint64: 1 }], [2, { uint32: permits }]])));
}

export function lookupFrame(requestId: number): Buffer {
  return frame(command(CommandType.LOOKUP, encodeFields([[1, { string: `persistent://bench/ns/topic-${requestId % 100}` }], [2, { uint64: requestId }]])));
}

export function lookupResponseFrame(requestId: number): Buffer {
  return frame(
    command(
      CommandType.LOOKUP_RESPONSE,
      encodeFields([
        [1, { string: 'pulsar://sink.test:6650' }],
        [2, { string: 'pulsar+ssl://sink.test:6651' }],
        [3, { uint32: 1 }],
        [4, { uint64: requestId }],
      ]),
    ),
  );
}
