/**
 * Moves Pulsar frames through a tunnel port from a process of its own, so the process measuring
 * the UI's responsiveness meanwhile does not share its event loop with the load. Prints one JSON
 * line {"mbps": N} when done. Usage: loadClient.ts <port> <bytes> <up|down>
 */
import { connectPlain, pulsarDownload, pulsarUpload } from './paths.ts';

const [port, bytes, direction] = process.argv.slice(2);
const connect = connectPlain('127.0.0.1', Number(port));
const mbps = direction === 'up' ? await pulsarUpload(connect, Number(bytes)) : await pulsarDownload(connect, Number(bytes));
process.stdout.write(`${JSON.stringify({ mbps })}\n`);
process.exit(0);
