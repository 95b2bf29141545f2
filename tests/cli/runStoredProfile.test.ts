/**
 * `run --profile NAME` runs a profile from the store, with its token from the OS keychain (a real
 * Secret Service): imported once from a profile file whose token file is then deleted, the token
 * still reaches every broker, injected by the tunnel.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { TestClientConnection } from '../fixtures/pulsarCluster/client.ts';
import { startSecretService, type SecretService } from '../unit/core/secrets/secretService.ts';
import { startClusterHarness, type ClusterHarness } from '../routing/clusterHarness.ts';
import { splitAddress } from '../tunnel/harness.ts';

const token = 'token-kept-in-the-keychain';
let harness: ClusterHarness;
let secrets: SecretService;
let dir: string;
let cli: CliProcess | undefined;

beforeAll(async () => {
  harness = await startClusterHarness({ cluster: { auth: { token } } });
  secrets = await startSecretService();
  dir = await mkdtemp(path.join(tmpdir(), 'pt-stored-'));
});

afterAll(async () => {
  await cli?.stop().catch(() => undefined);
  await harness?.stop();
  await secrets?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('runs a stored profile whose token lives only in the keychain', async () => {
  const env = { ...secrets.env, PULSAR_TUNNEL_HOME: path.join(dir, 'home') };
  await writeFile(path.join(dir, 'ca.pem'), harness.pki.ca.certPem);
  await writeFile(path.join(dir, 'token.txt'), token);
  await writeFile(
    path.join(dir, 'profile.json'),
    JSON.stringify({
      name: 'stored',
      serviceUrl: 'pulsar+ssl://pulsar.test:6651',
      proxyServiceUrl: `pulsar+ssl://${harness.ats.address}`,
      tlsTrustCertsFilePath: 'ca.pem',
      authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      authParams: 'file://token.txt',
      listen: { port: 0 },
    }),
  );
  const imported = await runCli(['profiles', 'import', path.join(dir, 'profile.json'), '--read-secrets'], { env });
  expect(imported.code).toBe(0);
  // The profile no longer depends on the files it was imported from.
  await rm(path.join(dir, 'token.txt'));

  cli = startCli(['run', '--profile', 'stored', '--log-format', 'json'], { env });
  const ready = await cli.waitForEvent((event) => event.event === 'ready');
  const [host, port] = splitAddress(ready.listen.pulsar);
  const client = await TestClientConnection.open({ host, port: Number(port) });
  try {
    await client.connect();
    await client.lookup(harness.cluster.topicOwnedBy('broker2.test', 'stored'));
  } finally {
    client.destroy();
  }
  expect(harness.cluster.brokerStats('pulsar.test').connects.at(-1)).toMatchObject({ authMethodName: 'token', authData: token, accepted: true });
  expect(cli.stdout()).not.toContain(token);
});

it('exits 2 naming the profile when the store has no such profile', async () => {
  const result = await runCli(['run', '--profile', 'missing', '--log-format', 'json'], { env: { ...secrets.env, PULSAR_TUNNEL_HOME: path.join(dir, 'home') } });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/PROFILE_NOT_FOUND.*missing/);
});
