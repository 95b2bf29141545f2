/**
 * Importing a client.conf from the app (profileImportExport, what the UI's importProfiles calls):
 * a profile with a webServiceUrl gets a web port (8080, or the next one no other profile uses, also
 * for "keep both"), and a warning says which. Real store; the profiles hold no secrets.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { profileImportExport } from '../../../../src-main/core/profiles/importExport.ts';
import { ProfileStore } from '../../../../src-main/core/profiles/store.ts';
import { createOsKeychain } from '../../../../src-main/core/secrets/keychain.ts';
import { removeDir, tempDir } from './helpers.ts';

let dir: string;
let store: ProfileStore;
const clientConf = ['brokerServiceUrl=pulsar+ssl://pulsar.test:6651', 'webServiceUrl=https://pulsar.test:8443'].join('\n');
const withoutWeb = 'brokerServiceUrl=pulsar+ssl://pulsar.test:6651\n';

beforeEach(async () => {
  dir = await tempDir('app-import-web-port');
  store = await ProfileStore.open({ dir, keychain: createOsKeychain() });
});
afterEach(async () => {
  store.dispose();
  await removeDir(dir);
});

const webPorts = async () => Object.fromEntries((await store.list()).profiles.map((entry) => [entry.profile.name, entry.profile.listen.webPort]));

it('gives 8080, then the next free port to a second import kept beside the first, and says so', async () => {
  const first = await profileImportExport.importProfiles(store, 'company.conf', clientConf);
  expect(first.warnings).toContainEqual(expect.stringContaining('127.0.0.1:8080 (listen.webPort 8080)'));
  const second = await profileImportExport.importProfiles(store, 'company.conf', clientConf, { onConflict: 'keepBoth' });
  expect(second.warnings).toContainEqual(expect.stringContaining('profile "company-2": its webServiceUrl is served through the tunnel on 127.0.0.1:8081'));
  expect(await webPorts()).toEqual({ company: 8080, 'company-2': 8081 });
});

it('leaves a client.conf without a webServiceUrl without a web port', async () => {
  const result = await profileImportExport.importProfiles(store, 'plain.conf', withoutWeb);
  expect(result.warnings.join('\n')).not.toContain('listen.webPort');
  expect(await webPorts()).toEqual({ plain: undefined });
});
