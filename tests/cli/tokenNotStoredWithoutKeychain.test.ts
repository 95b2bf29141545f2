/**
 * A token profile whose token was never stored because the OS keychain could not be reached (no
 * D-Bus session: SSH, container, a desktop session without a keyring). Every path says what is
 * wrong, KEYCHAIN_UNAVAILABLE with its advice once, not KEYCHAIN_ITEM_MISSING ("enter it again"),
 * which a user cannot do until the keychain answers.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProfileStore } from '../../src-main/core/profiles/store.ts';
import { createOsKeychain } from '../../src-main/core/secrets/keychain.ts';
import { runCli } from '../fixtures/cliProcess.ts';
import { removeDir, tempDir } from '../unit/core/profiles/helpers.ts';

let home: string;
let env: Record<string, string>;

beforeAll(async () => {
  home = await tempDir('no-keychain-token');
  env = { PULSAR_TUNNEL_HOME: home, DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(home, 'no-such-bus')}`, DISPLAY: '' };
  // What "Create" leaves when the token could not be stored: the profile without one (no keychain call).
  const store = await ProfileStore.open({ dir: home, keychain: createOsKeychain() });
  await store.save({ name: 'company', serviceUrl: 'pulsar+ssl://pulsar.test:6651', auth: 'token' });
  store.dispose();
});

afterAll(async () => {
  await removeDir(home);
});

it('refuses to run with KEYCHAIN_UNAVAILABLE, not KEYCHAIN_ITEM_MISSING', async () => {
  const result = await runCli(['run', '--profile', 'company'], { env, timeoutMs: 20_000 });
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain('KEYCHAIN_UNAVAILABLE');
  expect(result.stderr).not.toContain('KEYCHAIN_ITEM_MISSING');
});

it('has the Doctor fail its profile step with KEYCHAIN_UNAVAILABLE, giving the advice once', async () => {
  const result = await runCli(['doctor', '--profile', 'company', '--json'], { env, timeoutMs: 20_000 });
  const report = JSON.parse(result.stdout) as { steps: { name: string; code?: string; detail: string; fix?: string }[] };
  const step = report.steps.find((candidate) => candidate.name === 'profile')!;
  expect(step.code).toBe('KEYCHAIN_UNAVAILABLE');
  expect(step.detail).toContain('dbus-run-session');
  // The message holds the advice; no catalog sentence repeats it.
  expect(step.fix).toBeUndefined();
});
