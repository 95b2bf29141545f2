/**
 * The app's import (TunnelApi.importProfiles through the real store and importers): a file naming
 * secrets on this computer imports nothing and answers `needsConfirmation` with where each secret
 * would come from; the same call with `readSecrets` (the user said yes) imports and reports them.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseApiArgs } from '../../../../shared/ipc/validate.ts';
import { createAppService, type OwnedAppService } from '../../../../src-main/core/service/createAppService.ts';
import { createOsKeychain } from '../../../../src-main/core/secrets/keychain.ts';
import { removeDir, tempDir } from '../profiles/helpers.ts';
import { startSecretService, type SecretService } from '../secrets/secretService.ts';

let secrets: SecretService;
let dir: string;
let app: OwnedAppService;
const token = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(`{"sub":"app-import-${process.pid}"}`).toString('base64url')}.YXBw`;

beforeAll(async () => {
  secrets = await startSecretService();
  dir = await tempDir('app-import');
  await writeFile(path.join(dir, 'token.txt'), token);
  app = await createAppService({ dataDir: path.join(dir, 'store'), keychain: createOsKeychain() });
});

afterAll(async () => {
  await app?.service.removeProfile('shared').catch(() => undefined);
  await app?.dispose();
  await removeDir(dir);
  await secrets?.stop();
});

const content = [
  'brokerServiceUrl=pulsar+ssl://their.example:6651',
  'authPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken',
  'authParams=file:token.txt',
  'tlsAllowInsecureConnection=true',
].join('\n');

it('lists the secret sources and imports nothing until the user confirms', async () => {
  const fileName = path.join(dir, 'shared.conf');
  const [name, text, options] = parseApiArgs('importProfiles', [fileName, content]);
  const asked = await app.service.importProfiles(name, text, options);
  expect(asked).toMatchObject({
    imported: [],
    needsConfirmation: true,
    secretSources: [{ secret: 'token', from: 'file', name: path.join(dir, 'token.txt'), field: 'authParams (line 3)' }],
  });
  expect(JSON.stringify(asked)).not.toContain(token);
  expect(await app.service.listProfiles()).toEqual([]);

  const confirmed = await app.service.importProfiles(...parseApiArgs('importProfiles', [fileName, content, { readSecrets: true }]));
  expect(confirmed).toMatchObject({ imported: ['shared'], secretSources: [{ secret: 'token', from: 'file', name: path.join(dir, 'token.txt') }] });
  expect(confirmed.needsConfirmation).toBeUndefined();
  expect(confirmed.warnings.join('\n')).toContain('profile "shared": TLS_INSECURE_CONNECTION: ');
  const [view] = await app.service.listProfiles();
  expect(view).toMatchObject({ profile: { name: 'shared', tlsAllowInsecureConnection: true }, secrets: { token: true } });
});
