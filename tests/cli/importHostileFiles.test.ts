/**
 * `profiles import` (and `run`) of a file from someone else, as a black box: a combined
 * certificate-and-key file named as a certificate gives its certificates only (the key is neither
 * stored nor exported, and a warning says so without printing it); the consent list names the file
 * a link really leads to; a FIFO or a device is refused instead of hanging the import; names and
 * values quoted from the file cannot start a line of their own on stderr; and a bundle that makes a
 * profile start with the app says so.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../src-main/core/profiles/profileFileLoader.ts';
import { runCli } from '../fixtures/cliProcess.ts';
import type { TestPki } from '../fixtures/pki.ts';
import { filesContaining, removeDir, tempDir } from '../unit/core/profiles/helpers.ts';
import { startKeychainWorldWithPki, type KeychainWorld } from '../unit/core/profiles/keychainWorld.ts';
import type { SecretService } from '../unit/core/secrets/secretService.ts';

let world: KeychainWorld;
let service: SecretService;
let pki: TestPki;
let home: string;
let inputs: string;
const token = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(`{"sub":"prod-${process.pid}"}`).toString('base64url')}.cHJvZC1zaWduYXR1cmU`;

beforeAll(async () => {
  ({ service, pki } = world = await startKeychainWorldWithPki({ serverHosts: ['broker.test'], clientNames: ['alice'] }));
  home = await tempDir('import-hostile-home');
  inputs = await tempDir('import-hostile-inputs');
});

afterAll(async () => {
  await removeDir(home);
  await removeDir(inputs);
  await world?.stop();
});

function cli(args: string[]) {
  return runCli(args, { env: { ...service.env, PULSAR_TUNNEL_HOME: home }, timeoutMs: 20_000 });
}

async function write(name: string, content: string): Promise<string> {
  const file = path.join(inputs, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

/** The lines of the private key's body: none of them may reach a stored or exported file. */
function keyBody(): string[] {
  return pki.clients.alice!.keyPem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
}

describe('a certificate file that also holds a private key', () => {
  it('keeps only its certificates through import and export, and says a block was left out without printing it', async () => {
    const combined = await write('combined/client-combined.pem', `${pki.clients.alice!.certPem}${pki.clients.alice!.keyPem}`);
    const profile = await write('combined/profile.json', JSON.stringify({ name: 'combined', serviceUrl: 'pulsar+ssl://broker.test:6651', tlsTrustCertsFilePath: 'client-combined.pem' }));
    const imported = await cli(['profiles', 'import', profile]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain(`warning: tlsTrustCertsFilePath (${combined}) also holds 1 block that is not a certificate ("PRIVATE KEY"); only its certificates were kept.`);
    for (const line of keyBody()) expect(imported.stderr).not.toContain(line);
    expect(await filesContaining(home, keyBody())).toEqual([]);
    const stored = JSON.parse(await readFile(path.join(home, 'profiles', 'combined.json'), 'utf8')) as { profile?: { tlsTrustCertsPem?: string }; tlsTrustCertsPem?: string };
    expect(JSON.stringify(stored)).toContain(pki.clients.alice!.certPem.split('\n')[1]);
    const exported = await cli(['profiles', 'export', 'combined']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('BEGIN CERTIFICATE');
    expect(exported.stdout).not.toContain('PRIVATE KEY');
    for (const line of keyBody()) expect(exported.stdout).not.toContain(line);
  });

  it('keeps only the certificate of --cert given a combined file', async () => {
    const combined = await write('cert-flag/client-combined.pem', `${pki.clients.alice!.certPem}${pki.clients.alice!.keyPem}`);
    const metadata = await write('cert-flag/cluster.json', JSON.stringify({ brokerServiceUrlTls: 'pulsar+ssl://broker.test:6651' }));
    const imported = await cli(['profiles', 'import', metadata, '--name', 'cert-flag', '--trust-certs', pki.ca.certPath, '--cert', combined, '--key', pki.clients.alice!.keyPath]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain(`warning: --cert (${combined}) also holds 1 block that is not a certificate ("PRIVATE KEY")`);
    const profileFile = await readFile(path.join(home, 'profiles', 'cert-flag.json'), 'utf8');
    expect(profileFile).toContain('CERTIFICATE');
    expect(profileFile).not.toContain('PRIVATE KEY');
  });

  it('gives run the certificates only', async () => {
    await write('run/client-combined.pem', `${pki.ca.certPem}${pki.clients.alice!.keyPem}`);
    const profile = await write('run/profile.json', JSON.stringify({ name: 'run', serviceUrl: 'pulsar+ssl://broker.test:6651', tlsTrustCertsFilePath: 'client-combined.pem' }));
    const config = await loadProfileFile(profile);
    expect(config.tls.caPem).toBe(pki.ca.certPem);
  });
});

describe('the consent list for a secret behind a link', () => {
  it('names the file the link leads to, and flags a link out of the imported file\'s folder', async () => {
    const secretFile = await write('secret/prod-token', `${token}\n`);
    const evil = path.join(inputs, 'download', 'evil');
    await mkdir(evil, { recursive: true });
    await symlink('../../secret/prod-token', path.join(evil, 'token'));
    const profile = await write('download/evil/profile.json', JSON.stringify({
      name: 'evil',
      serviceUrl: 'pulsar+ssl://broker.test:6651',
      authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      authParams: 'file://token',
    }));
    const asked = await cli(['profiles', 'import', profile]);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain(`token from file ${path.join(evil, 'token')} → ${secretFile} (a link out of the file's folder) (named by authParams)`);
    const json = await cli(['profiles', 'import', profile, '--json']);
    const result = JSON.parse(json.stdout) as { secretSources: unknown[] };
    expect(result.secretSources).toEqual([{ secret: 'token', from: 'file', name: secretFile, linkedFrom: path.join(evil, 'token'), outsideFolder: true, field: 'authParams', sentTo: 'pulsar+ssl://broker.test:6651 (straight, no proxy)' }]);
  });

  it('names a link inside the folder by its target without the flag', async () => {
    const folder = path.join(inputs, 'inside');
    const target = await write('inside/tokens/current', `${token}\n`);
    await symlink('tokens/current', path.join(folder, 'token'));
    const profile = await write('inside/profile.json', JSON.stringify({
      name: 'inside',
      serviceUrl: 'pulsar+ssl://broker.test:6651',
      authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      authParams: 'file://token',
    }));
    const asked = await cli(['profiles', 'import', profile]);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain(`token from file ${path.join(folder, 'token')} → ${target} (named by authParams)`);
    expect(asked.stderr).not.toContain('a link out of');
  });
});

describe('a path that is not a regular file', () => {
  it('refuses a FIFO named as a certificate file at once instead of waiting for a writer', async () => {
    const folder = path.join(inputs, 'fifo');
    await mkdir(folder, { recursive: true });
    execFileSync('mkfifo', [path.join(folder, 'ca.pem')]);
    const profile = await write('fifo/profile.json', JSON.stringify({ name: 'fifo', serviceUrl: 'pulsar+ssl://broker.test:6651', tlsTrustCertsFilePath: 'ca.pem' }));
    const imported = await cli(['profiles', 'import', profile]);
    expect(imported.code).toBe(2);
    expect(imported.stderr).toContain(`FILE_NOT_REGULAR: tlsTrustCertsFilePath (${path.join(folder, 'ca.pem')}) is not a regular file (a FIFO)`);
  });

  it('refuses a FIFO as the imported file itself', async () => {
    const fifo = path.join(inputs, 'fifo', 'client.conf');
    execFileSync('mkfifo', [fifo]);
    const imported = await cli(['profiles', 'import', fifo]);
    expect(imported.code).toBe(2);
    expect(imported.stderr).toContain(`FILE_NOT_REGULAR: ${fifo} is not a regular file (a FIFO)`);
  });
});

describe('names and values quoted from the file', () => {
  /** The stderr lines after the first: a message's own continuation lines start with spaces. */
  function forgedLines(stderr: string, forged: string): string[] {
    return stderr.split('\n').filter((line) => line.startsWith(forged));
  }

  it('escapes a key name with a newline and an ANSI sequence, for import and run', async () => {
    const profile = await write('keys/profile.json', '{"name":"x","serviceUrl":"pulsar+ssl://a:1","bo\\ngus\\u001b[2J":1}');
    const imported = await cli(['profiles', 'import', profile]);
    expect(imported.code).toBe(2);
    expect(imported.stderr).toContain('unknown field "bo\\ngus\\x1b[2J"');
    expect(forgedLines(imported.stderr, 'gus')).toEqual([]);
    const run = await cli(['run', profile]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown field "bo\\ngus\\x1b[2J"');
    expect(forgedLines(run.stderr, 'gus')).toEqual([]);
  });

  it('escapes a client.conf key with an escaped newline', async () => {
    const conf = await write('keys/client.conf', 'brokerServiceUrl=pulsar+ssl://broker.test:6651\nfoo\\nbar=1\n');
    const imported = await cli(['profiles', 'import', conf]);
    expect(imported.code).toBe(2);
    expect(imported.stderr).toContain('unknown key "foo\\nbar" (line 2)');
    expect(forgedLines(imported.stderr, 'bar')).toEqual([]);
  });

  it('escapes a file name with a newline', async () => {
    const conf = await write('names/x\nFAKE: line.conf', '# nothing here\n');
    const imported = await cli(['profiles', 'import', conf]);
    expect(imported.code).toBe(2);
    expect(imported.stderr).toContain('x\\nFAKE: line.conf: no properties found');
    expect(forgedLines(imported.stderr, 'FAKE')).toEqual([]);
  });
});

describe('a bundle that starts a profile with the app', () => {
  it('says so in a warning line and in the JSON result', async () => {
    const bundle = await write('bundle/autostart.json', JSON.stringify({
      format: 'pulsar-tunnel-bundle',
      version: 1,
      profiles: [
        { profile: { name: 'starts-itself', serviceUrl: 'pulsar+ssl://broker.test:6651', autoStart: true } },
        { profile: { name: 'waits', serviceUrl: 'pulsar+ssl://broker.test:6651' } },
      ],
    }));
    const imported = await cli(['profiles', 'import', bundle, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    const result = JSON.parse(imported.stdout) as { imported: string[]; warnings: string[]; autoStart: string[] };
    expect(result.imported).toEqual(['starts-itself', 'waits']);
    expect(result.autoStart).toEqual(['starts-itself']);
    expect(result.warnings).toContain('profile "starts-itself": the bundle sets autoStart, so the desktop app starts this tunnel every time it launches; turn it off in the app (or edit the profile) if you did not want that.');
    const text = await cli(['profiles', 'import', bundle, '--replace']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toContain('warning: profile "starts-itself": the bundle sets autoStart');
    expect(text.stderr).not.toContain('"waits": the bundle sets autoStart');
  });
});
