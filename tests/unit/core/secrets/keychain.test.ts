import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../../shared/errors.ts';
import { keytarMissingAdvice } from '../../../../shared/keytarAdvice.ts';
import { ProfileStore } from '../../../../src-main/core/profiles/store.ts';
import { createOsKeychain, keychainError, requireSecret } from '../../../../src-main/core/secrets/keychain.ts';
import { startSecretService, type SecretService } from './secretService.ts';

let service: SecretService;

beforeAll(async () => {
  service = await startSecretService();
});

afterAll(async () => {
  await service?.stop();
});

function runChild(source: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { env, cwd: process.cwd(), timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ stdout, stderr, code: error ? Number((error as { code?: number }).code ?? 1) : 0 });
    });
  });
}

describe('OS keychain through a real gnome-keyring Secret Service', () => {
  it('stores, reads, replaces and deletes a secret under service pulsar-tunnel and the account given', async () => {
    const keychain = createOsKeychain();
    const token = { account: 'test-scope/alpha/token/0001', description: 'the token of profile "alpha"' };
    const key = { account: 'test-scope/alpha/clientKey/0001', description: 'the client private key of profile "alpha"' };
    expect(await keychain.get(token)).toBeNull();
    await keychain.set(token, 'tok-1');
    await keychain.set(key, 'key-1');
    expect(await keychain.get(token)).toBe('tok-1');
    await keychain.set(token, 'tok-2');
    expect(await keychain.get(token)).toBe('tok-2');
    expect(await keychain.get(key)).toBe('key-1');
    expect(await keychain.delete(token)).toBe(true);
    expect(await keychain.delete(token)).toBe(false);
    expect(await keychain.get(token)).toBeNull();
    await expect(requireSecret(keychain, token)).rejects.toMatchObject({ code: 'KEYCHAIN_ITEM_MISSING', message: expect.stringContaining('The token of profile "alpha" is missing') });
    const keytar = (await import('keytar')) as unknown as { default: { getPassword(s: string, a: string): Promise<string | null> } };
    expect(await keytar.default.getPassword('pulsar-tunnel', 'test-scope/alpha/clientKey/0001')).toBe('key-1');
  });

  it('reports KEYCHAIN_UNAVAILABLE when no Secret Service answers on the bus', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${service.dir}/no-such-bus` };
    delete env.DISPLAY;
    const source = `
      import { createOsKeychain } from './src-main/core/secrets/keychain.ts';
      try { await createOsKeychain().get({ account: 'p/token', description: 'p' }); console.log('no error'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const result = await runChild(source, env);
    const parsed = JSON.parse(result.stdout.trim()) as { code: string; message: string };
    expect(parsed.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(parsed.message).toMatch(/Secret Service/);
  });

  it('reports KEYCHAIN_UNAVAILABLE naming libsecret when keytar is not installed', async () => {
    // A resolve hook in the child makes "keytar" unresolvable, as on a machine where it did not build.
    const hook = 'data:text/javascript,export async function resolve(s,c,n){ if(s==="keytar") throw Object.assign(new Error("Cannot find package keytar"),{code:"ERR_MODULE_NOT_FOUND"}); return n(s,c); }';
    const source = `
      import { register } from 'node:module';
      register(${JSON.stringify(hook)});
      const { createOsKeychain } = await import('./src-main/core/secrets/keychain.ts');
      try { await createOsKeychain().set({ account: 'p/token', description: 'p' }, 'x'); console.log('no error'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const result = await runChild(source, process.env);
    const parsed = JSON.parse(result.stdout.trim()) as { code: string; message: string };
    expect(parsed.code).toBe('KEYCHAIN_UNAVAILABLE');
    // The one sentence `npm start` and the README give too.
    expect(parsed.message).toContain(keytarMissingAdvice);
  });

  it('maps keytar plain errors to stable codes', () => {
    expect(keychainError(new Error('Cannot create an item in a locked collection'), 'x').code).toBe('KEYCHAIN_LOCKED');
    expect(keychainError(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY'), 'x').code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(keychainError(new Error('The name org.freedesktop.secrets was not provided by any .service files'), 'x').code).toBe('KEYCHAIN_UNAVAILABLE');
    const original = new AppError('KEYCHAIN_UNAVAILABLE', 'install libsecret-1-dev');
    expect(keychainError(original, 'x')).toBe(original);
  });

  // Last: the keyring cannot be unlocked again without a prompter.
  it('reports KEYCHAIN_LOCKED, not a missing item, when the keyring is locked, and the store keeps the profile', async () => {
    const keychain = createOsKeychain();
    const item = (account: string) => ({ account, description: account });
    await keychain.set(item('locked/token'), 'tok');
    const dir = await mkdtemp(path.join(tmpdir(), 'pt-locked-store-'));
    const store = await ProfileStore.open({ dir, keychain });
    await store.save({ name: 'stored', serviceUrl: 'pulsar+ssl://broker.test:6651', auth: 'token' }, { secrets: { token: 'stored-token' } });
    await service.lock();
    try {
      await expect(store.tunnelConfig('stored')).rejects.toMatchObject({ code: 'KEYCHAIN_LOCKED' });
      await expect(store.remove('stored')).rejects.toMatchObject({ code: 'KEYCHAIN_LOCKED' });
      expect((await store.get('stored')).secrets.token).toBe(true);
      // A second process (no state carried over from the save above) is refused too.
      const fresh = await ProfileStore.open({ dir, keychain: createOsKeychain() });
      await expect(fresh.remove('stored')).rejects.toMatchObject({ code: 'KEYCHAIN_LOCKED' });
      expect((await fresh.get('stored')).secrets.token).toBe(true);
      fresh.dispose();
    } finally {
      store.dispose();
      await rm(dir, { recursive: true, force: true });
    }
    await expect(keychain.get(item('locked/token'))).rejects.toMatchObject({ code: 'KEYCHAIN_LOCKED' });
    await expect(keychain.get(item('never-stored'))).rejects.toMatchObject({ code: 'KEYCHAIN_LOCKED' });
    await expect(keychain.set(item('locked/token'), 'other')).rejects.toMatchObject({ code: 'KEYCHAIN_LOCKED' });
    await expect(keychain.delete(item('locked/token'))).rejects.toMatchObject({ code: 'KEYCHAIN_LOCKED' });
  });
});
