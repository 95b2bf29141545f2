import net from 'node:net';
import { createTestPki } from '../fixtures/pki.ts';
import { startTlsBackend } from '../fixtures/tlsBackend.ts';
import { startTestTunnel, testConfig } from './harness.ts';
const gc = (globalThis as { gc?: () => void }).gc!;
const mb = (n: number) => (n / 1048576).toFixed(1);
const show = (label: string) => { gc(); gc(); const m = process.memoryUsage(); console.log(label, 'rss', mb(m.rss), 'heapUsed', mb(m.heapUsed), 'external', mb(m.external), 'arrayBuffers', mb(m.arrayBuffers)); };
const pki = await createTestPki({ serverHosts: ['echo.test'] });
const echo = await startTlsBackend({ credential: pki.servers['echo.test']!, behaviour: 'echo' });
const tunnel = await startTestTunnel(testConfig({ serviceHost: '127.0.0.1', servicePort: echo.port, overrides: { tls: { caPem: pki.ca.certPem, verifyHostname: false, allowInsecure: false } } }));
const payload = Buffer.alloc(128 * 1024, 7);
async function one() {
  const c = net.connect({ host: tunnel.host, port: tunnel.port });
  await new Promise((r) => c.once('connect', r));
  let got = 0;
  const done = new Promise<void>((r) => c.on('data', (d: Buffer) => { got += d.length; if (got >= payload.length) r(); }));
  c.write(payload);
  await done;
  c.destroy();
}
show('before');
for (let round = 1; round <= 3; round++) {
  await Promise.all(Array.from({ length: 1000 }, one));
  await new Promise((r) => setTimeout(r, 2000));
  show(`after round ${round} (1000 concurrent x 128 KiB echo)`);
  console.log('  open', tunnel.tunnel.status().openConnections, 'events', tunnel.events.length, 'backend accepted kept', echo.accepted.length);
}
await tunnel.dispose(); await echo.stop(); await pki.cleanup();
