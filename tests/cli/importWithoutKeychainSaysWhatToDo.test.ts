/**
 * `profiles import --read-secrets` on a machine without a D-Bus session (SSH, container, CI): the
 * keychain cannot be reached, so the CLI exits 1 with KEYCHAIN_UNAVAILABLE and a message in user
 * terms (no store ids) that gives the headless recipe and the keychain-free alternative.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../fixtures/cliProcess.ts';
import { removeDir, tempDir } from '../unit/core/profiles/helpers.ts';

let home: string;
let inputs: string;

beforeAll(async () => {
  home = await tempDir('import-no-bus-home');
  inputs = await tempDir('import-no-bus-inputs');
  await writeFile(path.join(inputs, 'token'), 'eyJhbGciOiJIUzI1NiJ9.e30.c2VjcmV0\n');
  await writeFile(
    path.join(inputs, 'profile.json'),
    JSON.stringify({ name: 'headless', serviceUrl: 'pulsar+ssl://pulsar.test:6651', authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken', authParams: 'file://token' }),
  );
});

afterAll(async () => {
  await removeDir(home);
  await removeDir(inputs);
});

it('exits 1 with KEYCHAIN_UNAVAILABLE, saying in user terms what failed and how to run headless', async () => {
  const env: Record<string, string> = { PULSAR_TUNNEL_HOME: home, DBUS_SESSION_BUS_ADDRESS: `unix:path=${inputs}/no-such-bus`, DISPLAY: '' };
  const result = await runCli(['profiles', 'import', path.join(inputs, 'profile.json'), '--read-secrets'], { env, timeoutMs: 20_000 });
  expect(result.code).toBe(1);
  const line = result.stderr.split('\n').find((text) => text.includes('KEYCHAIN_UNAVAILABLE'));
  expect(line).toMatch(/^pulsar-tunnel: KEYCHAIN_UNAVAILABLE: pulsar-tunnel could not reach the OS keychain, so /);
  // No internal ids: the store id is 16 hex digits.
  expect(line).not.toMatch(/\b[0-9a-f]{16}\b/);
  expect(line).toContain("dbus-run-session -- sh -c 'echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets; pulsar-tunnel ...'");
  expect(line).toContain('README: "Headless machines"');
  expect(line).toContain('`run profile.json`');
});
