/**
 * The app's import (what the UI's importProfiles calls) of hostile content: several imports naming
 * FIFOs at once are all refused at once (none waits for a writer, so libuv's threadpool stays free
 * for the rest of the engine); a secret behind a link is listed for the confirm dialog by its real
 * path with the link flagged; a bundle that starts a profile with the app says which in the result.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { profileImportExport } from '../../../../src-main/core/profiles/importExport.ts';
import type { ProfileStore } from '../../../../src-main/core/profiles/store.ts';
import type { Keychain } from '../../../../src-main/core/secrets/keychain.ts';
import { withDeadline } from '../../../fixtures/deadline.ts';
import { removeDir, tempDir } from './helpers.ts';
import { openTempStore, startKeychainWorld, type KeychainWorld, type TempStore } from './keychainWorld.ts';

let world: KeychainWorld;
let keychain: Keychain;
let temp: TempStore;
let inputs: string;
let store: ProfileStore;

beforeAll(async () => {
  ({ keychain } = world = await startKeychainWorld());
});
afterAll(() => world?.stop());
beforeEach(async () => {
  ({ store } = temp = await openTempStore(keychain, 'app-import-store'));
  inputs = await tempDir('app-import-inputs');
});
afterEach(async () => {
  await temp?.close();
  await removeDir(inputs);
});

describe('the app importing hostile files', () => {
  it('refuses four imports naming FIFOs at once, and the threadpool still reads files afterwards', async () => {
    const fifos = [0, 1, 2, 3].map((index) => path.join(inputs, `ca-${index}.pem`));
    const imports = fifos.map((fifo, index) => {
      execFileSync('mkfifo', [fifo]);
      const content = JSON.stringify({ name: `fifo-${index}`, serviceUrl: 'pulsar+ssl://broker.test:6651', tlsTrustCertsFilePath: fifo });
      return profileImportExport.importProfiles(store, path.join(inputs, `profile-${index}.json`), content).then(
        () => 'imported',
        (error: unknown) => (error as { code?: string }).code,
      );
    });
    try {
      expect(await withDeadline(Promise.all(imports), 10_000, 'the four imports naming FIFOs')).toEqual(['FILE_NOT_REGULAR', 'FILE_NOT_REGULAR', 'FILE_NOT_REGULAR', 'FILE_NOT_REGULAR']);
      await writeFile(path.join(inputs, 'plain'), 'still reads');
      expect(await withDeadline(readFile(path.join(inputs, 'plain'), 'utf8'), 5_000, 'a read after the imports')).toBe('still reads');
    } finally {
      // Should a reader still wait in open() (the defect), a writer end releases it so the worker can exit.
      // Synchronous: a full threadpool would never run an asynchronous open.
      for (const fifo of fifos) {
        try {
          closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          // ENXIO: no reader waits on it, as it should be.
        }
      }
    }
  });

  it('lists a token behind a link by its real path for the confirm dialog, flagging a link out of the folder', async () => {
    const secretFile = path.join(inputs, 'secret', 'prod-token');
    await mkdir(path.dirname(secretFile), { recursive: true });
    await writeFile(secretFile, 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9kIn0.c2lnbmF0dXJl\n');
    const evil = path.join(inputs, 'download', 'evil');
    await mkdir(evil, { recursive: true });
    await symlink('../../secret/prod-token', path.join(evil, 'token'));
    const content = JSON.stringify({ name: 'evil', serviceUrl: 'pulsar+ssl://broker.test:6651', authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken', authParams: 'file://token' });
    const result = await profileImportExport.importProfiles(store, path.join(evil, 'profile.json'), content);
    expect(result.needsConfirmation).toBe(true);
    expect(result.secretSources).toEqual([{ secret: 'token', from: 'file', name: secretFile, linkedFrom: path.join(evil, 'token'), outsideFolder: true, field: 'authParams', sentTo: 'pulsar+ssl://broker.test:6651 (straight, no proxy)' }]);
  });

  it('says which profiles of a bundle start with the app', async () => {
    const bundle = JSON.stringify({
      format: 'pulsar-tunnel-bundle',
      version: 1,
      profiles: [{ profile: { name: 'starts-itself', serviceUrl: 'pulsar+ssl://broker.test:6651', autoStart: true } }, { profile: { name: 'waits', serviceUrl: 'pulsar+ssl://broker.test:6651' } }],
    });
    const result = await profileImportExport.importProfiles(store, path.join(inputs, 'bundle.json'), bundle);
    expect(result.imported).toEqual(['starts-itself', 'waits']);
    expect(result.autoStart).toEqual(['starts-itself']);
    expect(result.warnings.filter((warning) => warning.includes('autoStart'))).toHaveLength(1);
    expect((await store.get('starts-itself')).profile.autoStart).toBe(true);
  });
});
