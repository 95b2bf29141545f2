/**
 * The benchmark's broker stand-in, run as its own process so it does not share a thread with the
 * client being measured. A TLS server; the first byte of each connection picks the mode:
 *   'U' upload: read until FIN, then answer the byte count as 8 bytes (big-endian) and end.
 *   'D' + 8-byte length: send that many bytes, then end.
 *   'E' echo: echo every byte (ping-pong latency, idle connections).
 *   'S' + 8-byte up length + 8-byte down length + 4-byte seed (the soak's checked exchange): answer
 *   'R' at once; on the first payload byte start sending deterministicBytes(down, downSeed(seed))
 *   while hashing what arrives; once `up` bytes arrived and all was sent, send the hex SHA-256 of
 *   what arrived (64 characters) and end.
 *   anything else: Pulsar frames (CONNECT → CONNECTED, SEND counted, PING → PONG, FLOW n → n
 *   MESSAGE frames of 64 KiB, LOOKUP → LOOKUP_RESPONSE naming sink.test), for the inspect benchmark.
 * Prints one JSON line {"port": N} when listening. Usage: benchServer.ts <cert.pem> <key.pem>
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { createStreamDigest, deterministicChunks, writeChunks } from '../fixtures/tlsBackend.ts';
import { downSeed, shaHeaderLength } from './shaExchange.ts';
import { scanBaseCommandType } from '../../src-main/core/pulsar/wire.ts';
import { CommandType } from '../../src-main/core/pulsar/commands.ts';
import { connectedFrame, lookupResponseFrame, messageFrame, pongFrame } from './pulsarFrames.ts';
import { readBytes, readUint32 as readField, parseFields, lastField, readUint64 } from '../../src-main/core/pulsar/wire.ts';

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile) {
  console.error('usage: benchServer.ts <cert.pem> <key.pem>');
  process.exit(2);
}
const block = Buffer.alloc(64 * 1024, 0x5a);

const server = tls.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), allowHalfOpen: true }, (socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  let mode: string | undefined;
  let pulsar: PulsarBroker | undefined;
  let header = Buffer.alloc(0);
  let count = 0;
  const onData = (chunk: Buffer) => {
    if (mode === undefined) {
      header = Buffer.concat([header, chunk]);
      mode = String.fromCharCode(header[0]!);
      if (mode === 'S') {
        if (header.length < shaHeaderLength) {
          mode = undefined;
          return;
        }
        socket.removeListener('data', onData);
        checkedExchange(socket, header);
        return;
      }
      if (mode !== 'U' && mode !== 'D' && mode !== 'E') {
        pulsar = new PulsarBroker(socket);
        socket.removeListener('data', onData);
        socket.on('data', (data: Buffer) => pulsar!.push(data));
        pulsar.push(header);
        return;
      }
      if (mode === 'D') {
        if (header.length < 9) {
          mode = undefined;
          return;
        }
        sendDownload(Number(header.readBigUInt64BE(1)));
        return;
      }
      chunk = header.subarray(1);
    }
    if (mode === 'U') count += chunk.length;
    else if (mode === 'E') socket.write(chunk);
  };
  const sendDownload = (total: number) => {
    let left = total;
    const pump = () => {
      while (left > 0) {
        const piece = left >= block.length ? block : block.subarray(0, left);
        left -= piece.length;
        if (!socket.write(piece)) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    pump();
  };
  socket.on('data', onData);
  socket.on('end', () => {
    if (mode === 'U') {
      const answer = Buffer.alloc(8);
      answer.writeBigUInt64BE(BigInt(count));
      socket.end(answer);
    } else {
      socket.end();
    }
  });
});
/** The 'S' mode: both directions carry deterministic bytes, each checked by SHA-256. */
function checkedExchange(socket: tls.TLSSocket, header: Buffer): void {
  const up = Number(header.readBigUInt64BE(1));
  const down = Number(header.readBigUInt64BE(9));
  const seed = header.readUInt32BE(17);
  const digest = createStreamDigest();
  let sending = false;
  let sent = false;
  let received = false;
  const finish = () => {
    if (sent && received && !socket.destroyed) socket.end(digest.hex());
  };
  const take = (chunk: Buffer) => {
    if (chunk.length === 0) return;
    if (!sending) {
      sending = true;
      void writeChunks(socket, deterministicChunks(down, downSeed(seed)), false).then(() => {
        sent = true;
        finish();
      });
    }
    digest.update(chunk);
    if (!received && digest.bytes >= up) {
      received = true;
      finish();
    }
  };
  socket.write('R');
  socket.on('data', take);
  take(header.subarray(shaHeaderLength));
}

/** A minimal Pulsar broker stand-in: frames in, answers out. */
class PulsarBroker {
  #buffered: Buffer = Buffer.alloc(0);
  readonly #socket: tls.TLSSocket;
  constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
  }
  push(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    let at = 0;
    while (this.#buffered.length - at >= 8) {
      const total = this.#buffered.readUInt32BE(at);
      if (this.#buffered.length - at < 4 + total) break;
      const commandSize = this.#buffered.readUInt32BE(at + 4);
      const command = this.#buffered.subarray(at + 8, at + 8 + commandSize);
      this.#handle(command);
      at += 4 + total;
    }
    this.#buffered = this.#buffered.subarray(at);
  }
  #handle(command: Buffer): void {
    const type = scanBaseCommandType(command);
    if (type === CommandType.CONNECT) this.#socket.write(connectedFrame);
    else if (type === CommandType.PING) this.#socket.write(pongFrame);
    else if (type === CommandType.LOOKUP || type === CommandType.FLOW) {
      const fields = parseFields(command, 'BaseCommand');
      const body = lastField(fields, type)!;
      const sub = readBytes(command, body, 'sub');
      const subFields = parseFields(sub, 'sub');
      if (type === CommandType.LOOKUP) this.#socket.write(lookupResponseFrame(Number(readUint64(sub, lastField(subFields, 2)!, 'lookup'))));
      else this.#sendMessages(readField(sub, lastField(subFields, 2)!, 'flow'));
    }
  }
  #sendMessages(count: number): void {
    let entry = 0;
    const pump = () => {
      while (entry < count) {
        if (!this.#socket.write(messageFrame(entry++, block))) {
          this.#socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  }
}

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
