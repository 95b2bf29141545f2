/**
 * `run` and `doctor` of a profile FILE (one from elsewhere, say a colleague's) that names a secret
 * on this computer: an environment variable, or a token or key file outside the profile's folder, is
 * refused (exit 2) before anything is read or sent, with the list, where each secret would go, and
 * what to do, until --read-secrets says yes; every read (also of a file beside the profile) is
 * announced first on stderr and, for `run`, as a `secret.read` event in the JSON log.
 * The "server" is a plain TCP listener standing for the file's proxy: it must see no connection.
 */
import { once } from 'node:events';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../fixtures/cliProcess.ts';
import { removeDir, tempDir } from '../unit/core/profiles/helpers.ts';

const secret = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"sub":"the-users-own"}').toString('base64url')}.c2VjcmV0`;
let dir: string;
let outside: string;
let proxy: net.Server;
let proxyPort: number;
let connections = 0;

beforeAll(async () => {
  dir = await tempDir('run-ask-profile');
  outside = await tempDir('run-ask-elsewhere');
  await writeFile(path.join(outside, 'prod-token'), `${secret}\n`);
  await mkdir(path.join(dir, 'secrets'));
  await writeFile(path.join(dir, 'secrets', 'token'), `${secret}\n`);
  await symlink(path.join(outside, 'prod-token'), path.join(dir, 'linked-token'));
  proxy = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  proxyPort = (proxy.address() as net.AddressInfo).port;
});

afterAll(async () => {
  proxy?.close();
  await removeDir(dir);
  await removeDir(outside);
});

async function profile(name: string, authParams: string): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({
      name,
      serviceUrl: 'pulsar+ssl://their-broker.test:6651',
      proxyServiceUrl: `pulsar+ssl://127.0.0.1:${proxyPort}`,
      authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      authParams,
      listen: { port: 0 },
    }),
  );
  return file;
}

const env = { GITHUB_TOKEN: secret };
const destination = () => `pulsar+ssl://their-broker.test:6651 through the proxy 127.0.0.1:${proxyPort} (SNI their-broker.test)`;

describe('run and doctor of a profile file naming secrets on this computer', () => {
  it('refuses env: without --read-secrets, naming the variable and where it would go, and sends nothing', async () => {
    const file = await profile('from-env', 'env:GITHUB_TOKEN');
    for (const command of ['doctor', 'run']) {
      const result = await runCli([command, file], { env, timeoutMs: 20_000 });
      const output = result.stdout + result.stderr;
      expect(result.code, command).toBe(2);
      expect(output, command).toContain('PROFILE_SECRETS_NOT_CONFIRMED');
      expect(output, command).toContain(`token from environment variable GITHUB_TOKEN (named by authParams), to be sent to ${destination()}`);
      expect(output, command).toContain('run again with --read-secrets');
      expect(output, command).not.toContain(secret);
    }
    expect(connections).toBe(0);
  });

  it('refuses a token file outside the profile folder, also through a link beside the profile', async () => {
    for (const authParams of [`file:${outside}/prod-token`, 'file://linked-token']) {
      const result = await runCli(['doctor', await profile('from-file', authParams)], { env, timeoutMs: 20_000 });
      expect(result.code, authParams).toBe(2);
      expect(result.stdout, authParams).toContain(`token from file `);
      expect(result.stdout, authParams).toContain(`${outside}/prod-token (named by authParams), to be sent to ${destination()}`);
    }
    expect(connections).toBe(0);
  });

  it('with --read-secrets, announces the read on stderr and in the JSON log before ready', async () => {
    const cli = startCli(['run', await profile('consented', 'env:GITHUB_TOKEN'), '--read-secrets', '--log-format', 'json'], { env });
    try {
      await cli.waitForEvent((event) => event.event === 'ready', 15_000);
      const kinds = cli.events.map((event) => event.event);
      expect(kinds.indexOf('secret.read')).toBeGreaterThanOrEqual(0);
      expect(kinds.indexOf('secret.read')).toBeLessThan(kinds.indexOf('ready'));
      expect(cli.events.find((event) => event.event === 'secret.read')).toMatchObject({ secret: 'token', from: 'env', name: 'GITHUB_TOKEN', field: 'authParams', sentTo: destination() });
      expect(cli.stderr()).toContain(`warning: reading the token from environment variable GITHUB_TOKEN (named by authParams), to be sent to ${destination()}`);
    } finally {
      await cli.stop();
    }
  });

  it('reads a token file inside the profile folder without the flag, but says so', async () => {
    const cli = startCli(['run', await profile('beside', 'file://secrets/token'), '--log-format', 'json']);
    try {
      await cli.waitForEvent((event) => event.event === 'ready', 15_000);
      expect(cli.stderr()).toContain(`warning: reading the token from file ${dir}/secrets/token (named by authParams), to be sent to ${destination()}`);
    } finally {
      await cli.stop();
    }
  });
});
