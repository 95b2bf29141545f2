/**
 * `run --log-format text` prints strings that local clients choose (CONNECT's client version, topics,
 * subscriptions): a client that puts a newline and ANSI escapes in them must not be able to forge a
 * log line or drive the terminal. The CLI runs as a child process in front of the test cluster
 * behind a real ATS, and a Pulsar client of ours sends the hostile strings.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatEventText } from '../../src-main/cli/output.ts';
import { runCli, startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { eventually } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { TestClientConnection } from '../fixtures/pulsarCluster/client.ts';
import { startPulsarCluster, type PulsarTestCluster } from '../fixtures/pulsarCluster/cluster.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { splitAddress } from '../tunnel/harness.ts';

const brokerHosts = ['broker1.test', 'broker2.test'];
/** The characters a terminal acts on that the test sends: ESC, BEL, C1 CSI, CR, LS, RLO. */
const terminalControls = ['\x1b', '\x07', '\u009b', '\r', '\u2028', '\u202e'];
const controlsIn = (text: string): string[] => terminalControls.filter((control) => text.includes(control));
// A forged line that looks like the tunnel's own, a screen clear, red text, a window title (OSC)
// and the one-byte C1 CSI.
const forged = '\n12:00:00.000 #1 closed after 1 ms, 0 B up, 0 B down\x1b[2J\x1b[31m\x1b]0;owned\x07\u009b1m';
let pki: TestPki;
let cluster: PulsarTestCluster;
let ats: SniRouter;
let dir: string;
let cli: CliProcess | undefined;
let client: TestClientConnection | undefined;

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: [...brokerHosts, 'pulsar.test'] });
  cluster = await startPulsarCluster({ brokers: brokerHosts, serviceHost: 'pulsar.test', pki });
  ats = await startAts({ routes: cluster.sniRoutes() });
  dir = await mkdtemp(path.join(tmpdir(), 'pt-textlog-'));
});

afterAll(async () => {
  client?.destroy();
  await cli?.stop('SIGKILL').catch(() => undefined);
  await Promise.all([ats?.stop(), cluster?.stop()]);
  await pki?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('escapes control characters a client puts in its version, topic and subscription', async () => {
  await writeFile(path.join(dir, 'ca.pem'), pki.ca.certPem);
  const profile = path.join(dir, 'profile.json');
  await writeFile(
    profile,
    JSON.stringify({ name: 'textlog', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: `pulsar+ssl://${ats.address}`, proxyProtocol: 'SNI', tlsTrustCertsFilePath: 'ca.pem', pulsarProtocol: 'inspect', listen: { port: 0 } }),
  );
  cli = startCli(['run', profile, '--log-format', 'text']);
  const ready = await eventually(() => cli!.allStdoutLines.find((line) => line.includes(' ready: pulsar://')), { timeoutMs: 20_000, what: 'the ready line' });
  const [host, port] = splitAddress(/pulsar:\/\/(\S+)/.exec(ready)![1]!);

  client = await TestClientConnection.open({ host, port: Number(port) });
  await client.connect({ clientVersion: `evil-client${forged}` });
  const topic = `persistent://public/default/t${forged}`;
  // The cluster may refuse such names; what matters is what the tunnel prints about them.
  await client.lookup(topic).catch(() => undefined);
  await client.subscribe(topic, `sub${forged}`, 1).catch(() => undefined);

  const output = await eventually(() => (cli!.stdout().includes('consumer sub') ? cli!.stdout() : undefined), { timeoutMs: 10_000, what: 'the consumer line' });
  expect(controlsIn(output)).toEqual([]);
  // Every line is one of the tunnel's own: the forged text stays inside the line that quotes it.
  const lines = output.trimEnd().split('\n');
  expect(lines.filter((line) => line.startsWith('12:00:00.000'))).toEqual([]);
  expect(lines.find((line) => line.includes('CONNECT from evil-client'))).toContain('evil-client\\n12:00:00.000 #1 closed after 1 ms, 0 B up, 0 B down\\x1b[2J\\x1b[31m\\x1b]0;owned\\x07\\x9b1m');
  expect(lines.find((line) => line.includes(' lookup persistent://'))).toContain('/t\\n12:00:00.000');
  expect(lines.find((line) => line.includes(' consumer sub'))).toMatch(/consumer sub\\n12:00:00\.000 .* on persistent:\/\/public\/default\/t\\n/);
  expect((await cli.stop()).code).toBe(0);
  cli = undefined;
});

it('escapes what the cluster or an HTTP client puts in a path or an error message, and keeps one line per event', () => {
  const line = formatEventText({
    event: 'http.request', id: 7, method: 'GET', path: '/admin/v2/x\u2028forged\u202eevil', status: 502, broker: 'b.test:8443', durationMs: 1, redirectsFollowed: 1,
    error: { code: 'HTTP_REDIRECT_UNREACHABLE', message: 'redirected to https://x/\r\n12:00 forged\x1b[0m' },
  })!;
  expect(controlsIn(line)).toEqual([]);
  expect(line).not.toContain('\n');
  expect(line).toContain('/admin/v2/x\\u2028forged\\u202eevil');
  expect(line).toContain('https://x/\\r\\n12:00 forged\\x1b[0m');
});

it('escapes terminal controls that a profile file puts into an error message on stderr', async () => {
  const profile = path.join(dir, 'hostile.json');
  await writeFile(profile, JSON.stringify({ name: 'hostile', serviceUrl: 'pulsar+ssl://evil\x1b]0;owned\x07\x1b[2J:6651', listen: { port: 0 } }));
  const result = await runCli(['run', profile]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('PROFILE_INVALID');
  expect(result.stderr).toContain('evil\\x1b]0;owned\\x07\\x1b[2J');
  expect(controlsIn(result.stderr)).toEqual([]);
});
