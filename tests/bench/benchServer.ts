/**
 * The benchmark's broker stand-in, run as its own process so it does not share a thread with the
 * client being measured. A TLS server; the first byte of each connection picks the mode:
 *   'U' upload: read until FIN, then answer the byte count as 8 bytes (big-endian) and end.
 *   'D' + 8-byte length: send that many bytes, then end.
 *   'E' echo: echo every byte (ping-pong latency, idle connections).
 * Prints one JSON line {"port": N} when listening. Usage: benchServer.ts <cert.pem> <key.pem>
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

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
  let header = Buffer.alloc(0);
  let count = 0;
  const onData = (chunk: Buffer) => {
    if (mode === undefined) {
      header = Buffer.concat([header, chunk]);
      mode = String.fromCharCode(header[0]!);
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
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
