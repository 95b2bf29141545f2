/**
 * A client.conf names the cluster's web service, but not the local port the tunnel serves it on.
 * Imported, the profile gets a web port (8080, or the next one no other profile uses) and the import
 * says so, so `client-conf` prints a webServiceUrl pulsar-admin can use. A profile with a
 * webServiceUrl and no web port gets a note from `client-conf` instead of a silent omission.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProfileStore } from '../../src-main/core/profiles/store.ts';
import { createOsKeychain } from '../../src-main/core/secrets/keychain.ts';
import { runCli } from '../fixtures/cliProcess.ts';
import { removeDir, tempDir } from '../unit/core/profiles/helpers.ts';

let home: string;
let inputs: string;
const cli = (args: string[]) => runCli(args, { env: { PULSAR_TUNNEL_HOME: home }, timeoutMs: 20_000 });

beforeAll(async () => {
  home = await tempDir('web-port-home');
  inputs = await tempDir('web-port-inputs');
  await writeFile(path.join(inputs, 'client.conf'), ['brokerServiceUrl=pulsar+ssl://pulsar.test:6651', 'webServiceUrl=https://pulsar.test:8443', 'proxyServiceUrl=pulsar+ssl://proxy.test:443', 'proxyProtocol=SNI'].join('\n'));
});

afterAll(async () => {
  await removeDir(home);
  await removeDir(inputs);
});

it('gives an imported client.conf with a webServiceUrl the web port 8080, says so, and client-conf points pulsar-admin at it', async () => {
  const imported = await cli(['profiles', 'import', path.join(inputs, 'client.conf'), '--name', 'company']);
  expect(imported.code, imported.stderr).toBe(0);
  expect(`${imported.stdout}${imported.stderr}`).toContain('127.0.0.1:8080 (listen.webPort 8080)');
  const conf = await cli(['client-conf', 'company']);
  expect(conf.stdout).toContain('webServiceUrl=http://127.0.0.1:8080');
  expect(conf.stderr).toBe('');
});

it('gives a second import the next free web port, not one another profile listens on', async () => {
  const imported = await cli(['profiles', 'import', path.join(inputs, 'client.conf'), '--name', 'company-eu']);
  expect(imported.code, imported.stderr).toBe(0);
  expect(`${imported.stdout}${imported.stderr}`).toContain('127.0.0.1:8081 (listen.webPort 8081, the first port from 8080 no other profile uses)');
  expect((await cli(['client-conf', 'company-eu'])).stdout).toContain('webServiceUrl=http://127.0.0.1:8081');
});

it('has client-conf say, in the file and on stderr, that a profile with a webServiceUrl but no web port cannot serve pulsar-admin', async () => {
  const store = await ProfileStore.open({ dir: home, keychain: createOsKeychain() });
  await store.save({ name: 'no-web-port', serviceUrl: 'pulsar+ssl://pulsar.test:6651', webServiceUrl: 'https://pulsar.test:8443' });
  store.dispose();
  const conf = await cli(['client-conf', 'no-web-port']);
  expect(conf.code).toBe(0);
  expect(conf.stdout).not.toContain('webServiceUrl=');
  expect(conf.stdout).toMatch(/^# .*set listen\.webPort \(or run --web-port\)/m);
  expect(conf.stderr).toContain('pulsar-tunnel: note: Profile no-web-port has a webServiceUrl but no local web port');
});
