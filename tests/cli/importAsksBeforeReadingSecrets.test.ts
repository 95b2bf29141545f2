/**
 * `profiles import` of a file from elsewhere: a client.conf or profile naming `env:VARIABLE` or a
 * token or key file on this computer is refused (exit 2, nothing stored) with the list of what it
 * would read, until --read-secrets says yes; then it says what it read from where. Risky settings
 * are warned with their codes, and a file over the size limit is refused before it is read.
 */
import { truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../fixtures/cliProcess.ts';
import { removeDir, storedSecret, storeItems, tempDir } from '../unit/core/profiles/helpers.ts';
import { startSecretService, type SecretService } from '../unit/core/secrets/secretService.ts';

let service: SecretService;
let home: string;
let inputs: string;
const secret = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(`{"sub":"someone-else-${process.pid}"}`).toString('base64url')}.c2VjcmV0`;

beforeAll(async () => {
  service = await startSecretService();
  home = await tempDir('import-ask-home');
  inputs = await tempDir('import-ask-inputs');
  await writeFile(path.join(inputs, 'one-line'), `${secret}\n`);
});

afterAll(async () => {
  await removeDir(home);
  await removeDir(inputs);
  await service?.stop();
});

function cli(args: string[]) {
  return runCli(args, { env: { ...service.env, PULSAR_TUNNEL_HOME: home, MY_CLOUD_SECRET: secret }, timeoutMs: 20_000 });
}

async function conf(name: string, lines: string[]): Promise<string> {
  const file = path.join(inputs, name);
  await writeFile(file, lines.join('\n'));
  return file;
}

const tokenPlugin = 'authPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken';

async function storedNames(): Promise<string[]> {
  const listed = await cli(['profiles', 'list', '--json']);
  return (JSON.parse(listed.stdout) as { profiles: { profile: { name: string } }[] }).profiles.map((entry) => entry.profile.name);
}

describe('profiles import of secrets the file names on this computer', () => {
  it('refuses env: and file: tokens without --read-secrets, naming the variable and the path, and stores nothing', async () => {
    const fromEnv = await conf('env.conf', ['brokerServiceUrl=pulsar+ssl://their.example:6651', tokenPlugin, 'authParams=env:MY_CLOUD_SECRET']);
    const fromFile = await conf('file.conf', ['brokerServiceUrl=pulsar+ssl://their.example:6651', tokenPlugin, `authParams=file://${inputs}/one-line`]);
    const envResult = await cli(['profiles', 'import', fromEnv]);
    expect(envResult.code).toBe(2);
    expect(envResult.stderr).toContain('IMPORT_SECRETS_NOT_CONFIRMED');
    expect(envResult.stderr).toContain('token from environment variable MY_CLOUD_SECRET (named by authParams (line 3)), to be sent to pulsar+ssl://their.example:6651 (straight, no proxy)');
    expect(envResult.stderr).toContain('--read-secrets');
    const fileResult = await cli(['profiles', 'import', fromFile, '--json']);
    expect(fileResult.code).toBe(2);
    expect(JSON.parse(fileResult.stdout)).toMatchObject({ imported: [], needsConfirmation: true, secretSources: [{ secret: 'token', from: 'file', name: `${inputs}/one-line` }] });
    expect(`${envResult.stdout}${envResult.stderr}${fileResult.stdout}${fileResult.stderr}`).not.toContain(secret);
    expect(await storedNames()).toEqual([]);
    expect(await storeItems(home)).toEqual(new Map());
  });

  it('reads them with --read-secrets and says what it read from where', async () => {
    const fromEnv = await conf('env.conf', ['brokerServiceUrl=pulsar+ssl://their.example:6651', tokenPlugin, 'authParams=env:MY_CLOUD_SECRET']);
    const result = await cli(['profiles', 'import', fromEnv, '--name', 'confirmed', '--read-secrets']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('read token from environment variable MY_CLOUD_SECRET');
    expect(await storedSecret(home, 'confirmed', 'token')).toBe(secret);
    expect(await storedNames()).toEqual(['confirmed']);
  });

  it('needs no confirmation for a token in the file itself, and warns about every risky setting with its code', async () => {
    const file = await conf('risky.conf', [
      'brokerServiceUrl=pulsar+ssl://their.example:6651',
      tokenPlugin,
      `authParams=token:${secret}`,
      'tlsAllowInsecureConnection=true',
      'tlsEnableHostnameVerification=false',
    ]);
    const result = await cli(['profiles', 'import', file]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: profile "risky": TLS_INSECURE_CONNECTION: tlsAllowInsecureConnection is true/);
    expect(result.stderr).toMatch(/warning: profile "risky": TLS_HOSTNAME_NOT_VERIFIED: /);
  });

  it('refuses a file over the 5 MB limit before reading it', async () => {
    const huge = path.join(inputs, 'huge.conf');
    await writeFile(huge, '');
    await truncate(huge, 300_000_000);
    const result = await cli(['profiles', 'import', huge]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`IMPORT_TOO_LARGE: ${huge} is 300000000 bytes, over the 5 MB limit`);
  });

  it('refuses a device that never ends (its size says nothing) instead of reading it', async () => {
    const result = await cli(['profiles', 'import', '/dev/zero']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('FILE_NOT_REGULAR: /dev/zero is not a regular file (a device)');
  });
});
