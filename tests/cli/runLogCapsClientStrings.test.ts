/**
 * A local client that names a 4 MiB topic (within the broker's frame limit) cannot make `run` write
 * a 4 MiB log line per command: the `pulsar.lookup` and `pulsar.producer` events in the JSON log
 * carry the first 1,024 characters and the size, so the log and the app's log history stay small
 * however large the strings clients choose. Against the test cluster behind a real ATS.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { TestClientConnection } from '../fixtures/pulsarCluster/client.ts';
import { CommandType } from '../fixtures/pulsarCluster/protocol.ts';
import { startClusterHarness, type ClusterHarness } from '../routing/clusterHarness.ts';
import { splitAddress } from '../tunnel/harness.ts';

let harness: ClusterHarness;
let dir: string;
let cli: CliProcess | undefined;
const clients: TestClientConnection[] = [];

beforeAll(async () => {
  harness = await startClusterHarness();
  dir = await mkdtemp(path.join(tmpdir(), 'pt-huge-topic-'));
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await cli?.stop('SIGKILL').catch(() => undefined);
  await harness?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('logs a 4 MiB topic as its first KiB and its size, in lookup and producer events', async () => {
  await writeFile(path.join(dir, 'ca.pem'), harness.pki.ca.certPem);
  const profile = path.join(dir, 'profile.json');
  await writeFile(profile, JSON.stringify({ name: 'huge', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: `pulsar+ssl://${harness.ats.address}`, tlsTrustCertsFilePath: 'ca.pem', listen: { port: 0 } }));
  cli = startCli(['run', profile, '--log-format', 'json']);
  const ready = (await cli.waitForEvent((event) => event.event === 'ready', 20_000)) as { listen: { pulsar: string } };
  const [host, port] = splitAddress(ready.listen.pulsar);
  const client = await TestClientConnection.open({ host, port: Number(port), timeoutMs: 30_000 });
  clients.push(client);
  await client.connect();
  const topic = `persistent://public/default/${'t'.repeat(4 * 1024 * 1024)}`;
  client.send({ type: CommandType.LOOKUP, lookupTopic: { topic, request_id: 1, authoritative: false } });
  client.send({ type: CommandType.PRODUCER, producer: { topic, producer_id: 1, request_id: 2 } });
  const lookup = await cli.waitForEvent((event) => event.event === 'pulsar.lookup', 30_000);
  const producer = await cli.waitForEvent((event) => event.event === 'pulsar.producer', 30_000);
  const size = Buffer.byteLength(topic);
  for (const event of [lookup, producer]) {
    expect(event.topic).toBe(`${topic.slice(0, 1024)}…(${size} bytes)`);
  }
  const longest = Math.max(...cli.allStdoutLines.map((line) => line.length));
  expect(longest).toBeLessThan(8 * 1024);
  expect((await cli.stop()).code).toBe(0);
  cli = undefined;
});
