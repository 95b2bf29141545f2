import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../fixtures/cliProcess.ts';
import type { TestPki } from '../fixtures/pki.ts';
import { filesContaining, removeDir, snapshotFiles, storedSecret, storeItems, tempDir } from '../unit/core/profiles/helpers.ts';
import { startKeychainWorldWithPki, type KeychainWorld } from '../unit/core/profiles/keychainWorld.ts';
import type { SecretService } from '../unit/core/secrets/secretService.ts';

let world: KeychainWorld;
let service: SecretService;
let pki: TestPki;
let home: string;
let inputs: string;

const token = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(`{"sub":"cli-test-${process.pid}"}`).toString('base64url')}.Y2xpLXRlc3Qtc2lnbmF0dXJl`;

beforeAll(async () => {
  ({ service, pki } = world = await startKeychainWorldWithPki({ serverHosts: ['broker.test'], clientNames: ['alice'] }));
  home = await tempDir('cli-home');
  inputs = await tempDir('cli-inputs');
  await writeFile(path.join(inputs, 'ca.pem'), pki.ca.certPem);
  await writeFile(path.join(inputs, 'alice.pem'), pki.clients.alice!.certPem);
  await writeFile(path.join(inputs, 'alice-key.pem'), pki.clients.alice!.keyPem);
  await writeFile(
    path.join(inputs, 'client.conf'),
    [
      'brokerServiceUrl=pulsar+ssl://broker.test:6651',
      'webServiceUrl=https://broker.test:8443',
      'proxyServiceUrl=pulsar+ssl://proxy.test:443',
      'proxyProtocol=SNI',
      'tlsTrustCertsFilePath=ca.pem',
      'tlsCertificateFilePath=alice.pem',
      'tlsKeyFilePath=alice-key.pem',
      'authPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken',
      `authParams=token:${token}`,
    ].join('\n'),
  );
});

afterAll(async () => {
  await removeDir(home);
  await removeDir(inputs);
  await world?.stop();
});

function cli(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { env: { ...service.env, PULSAR_TUNNEL_HOME: home, ...env }, timeoutMs: 20_000 });
}

describe('pulsar-tunnel profiles and client-conf', () => {
  it('imports a client.conf, lists and shows it, and keeps the secrets out of every file', async () => {
    const imported = await cli(['profiles', 'import', path.join(inputs, 'client.conf'), '--name', 'staging', '--read-secrets', '--json']);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ kind: 'client-conf', imported: ['staging'] });

    const listed = await cli(['profiles', 'list', '--json']);
    expect(listed.code).toBe(0);
    const listing = JSON.parse(listed.stdout) as { profiles: { profile: { name: string; auth: string }; secrets: Record<string, boolean>; clientCert?: { subject: string } }[]; problems: unknown[] };
    expect(listing.problems).toEqual([]);
    expect(listing.profiles).toHaveLength(1);
    expect(listing.profiles[0]).toMatchObject({ profile: { name: 'staging', auth: 'token' }, secrets: { token: true, clientKey: true, keyPassphrase: false }, clientCert: { subject: 'CN=alice' } });

    const shown = await cli(['profiles', 'show', 'staging']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/client certificate: CN=alice .*SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(shown.stdout).toMatch(/secrets in the OS keychain: token, clientKey/);

    expect(await storedSecret(home, 'staging', 'token')).toBe(token);
    expect(await filesContaining(home, [token, pki.clients.alice!.keyPem.split('\n')[1]!])).toEqual([]);
  });

  it('exits 2 and changes nothing for bad input: malformed file, duplicate name, unknown profile', async () => {
    const before = await snapshotFiles(home);
    await writeFile(path.join(inputs, 'typo.conf'), 'brokerServiceUrl=pulsar+ssl://b:6651\ntlsTrustCertFilePath=ca.pem\n');
    const typo = await cli(['profiles', 'import', path.join(inputs, 'typo.conf')]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/IMPORT_INVALID: .*unknown key "tlsTrustCertFilePath" \(line 2\)/);

    const duplicate = await cli(['profiles', 'import', path.join(inputs, 'client.conf'), '--name', 'Staging', '--read-secrets']);
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toMatch(/PROFILE_EXISTS/);

    const missing = await cli(['profiles', 'show', 'nope', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/PROFILE_NOT_FOUND/);
    expect(await snapshotFiles(home)).toEqual(before);
  });

  it('exports an encrypted bundle and refuses a wrong passphrase with exit 2', async () => {
    const bundle = path.join(inputs, 'bundle.json');
    const exported = await cli(['profiles', 'export', 'staging', '--output', bundle, '--passphrase-env', 'PT_PASS', '--json'], { PT_PASS: 'long enough passphrase' });
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ file: bundle, encrypted: true, profiles: ['staging'] });
    expect(await readFile(bundle, 'utf8')).not.toContain(token);

    await writeFile(path.join(inputs, 'wrong.txt'), 'not the passphrase\n');
    const wrong = await cli(['profiles', 'import', bundle, '--replace', '--passphrase-file', path.join(inputs, 'wrong.txt')]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/BUNDLE_PASSPHRASE_WRONG/);

    const plain = await cli(['profiles', 'export']);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ format: 'pulsar-tunnel-bundle', profiles: [{ profile: { name: 'staging' }, secretsOmitted: ['token', 'clientKey'] }] });
    expect(plain.stdout).not.toContain(token);
  });

  it('prints a client.conf and snippets pointing at the local tunnel', async () => {
    const conf = await cli(['client-conf', 'staging', '--port', '16650', '--web-port', '18080']);
    expect(conf.code).toBe(0);
    expect(conf.stdout).toMatch(/^brokerServiceUrl=pulsar:\/\/127\.0\.0\.1:16650$/m);
    expect(conf.stdout).toMatch(/^webServiceUrl=http:\/\/127\.0\.0\.1:18080$/m);
    expect(conf.stdout).not.toMatch(/pulsar\+ssl|token/);
    const snippets = await cli(['client-conf', 'staging', '--json']);
    expect(JSON.parse(snippets.stdout)).toMatchObject({ serviceUrl: 'pulsar://127.0.0.1:6650', pulsarPerf: expect.stringContaining('--service-url pulsar://127.0.0.1:6650') });
    const badPort = await cli(['client-conf', 'staging', '--port', '70000']);
    expect(badPort.code).toBe(2);
  });

  it('exits 1 with KEYCHAIN_UNAVAILABLE when there is no Secret Service, storing nothing', async () => {
    const before = await snapshotFiles(home);
    const result = await cli(['profiles', 'import', path.join(inputs, 'client.conf'), '--name', 'nokeychain', '--read-secrets'], { DBUS_SESSION_BUS_ADDRESS: `unix:path=${inputs}/no-bus` });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/KEYCHAIN_UNAVAILABLE/);
    expect(await snapshotFiles(home)).toEqual(before);
  });

  it('removes a profile with its keychain items', async () => {
    const removed = await cli(['profiles', 'remove', 'staging', '--json']);
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ removed: 'staging' });
    expect(await storeItems(home)).toEqual(new Map());
    const again = await cli(['profiles', 'remove', 'staging']);
    expect(again.code).toBe(2);
  });
});
