// The floor a Node data path can reach: a plain `net` server whose connections are piped both ways
// into `tls.connect` (with SNI) to the proxy. Plain JavaScript run by plain Node in a process of its
// own, so its CPU time is its own. Prints {"port": N} when listening.
// Usage: node nodePipe.mjs <proxy host> <proxy port> <server name> <ca.pem>
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const [host, port, servername, caFile] = process.argv.slice(2);
const ca = readFileSync(caFile);
const server = net.createServer({ noDelay: true }, (local) => {
  const remote = tls.connect({ host, port: Number(port), servername, ca, ecdhCurve: 'X25519:P-256:P-384' });
  local.pipe(remote).pipe(local);
  local.on('error', () => remote.destroy());
  remote.on('error', () => local.destroy());
  remote.once('secureConnect', () => remote.setNoDelay(true));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.on('SIGTERM', () => process.exit(0));
