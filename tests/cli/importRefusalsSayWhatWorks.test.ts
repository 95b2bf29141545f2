/**
 * `profiles import` refusals name what works: a bundle imported without a passphrase is told it
 * needs one (BUNDLE_PASSPHRASE_REQUIRED and the two flags), not that its passphrase is wrong; a
 * bundle that meets an existing name is pointed at --replace, not at --name (refused for bundles);
 * a field name off by case or a letter gets the field it most likely meant.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../fixtures/cliProcess.ts';
import { removeDir, tempDir } from '../unit/core/profiles/helpers.ts';

let home: string;
let inputs: string;
const cli = (args: string[]) => runCli(args, { env: { PULSAR_TUNNEL_HOME: home }, timeoutMs: 20_000 });
const profile = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({ name, serviceUrl: `pulsar+ssl://${name}.test:6651`, ...extra });

beforeAll(async () => {
  home = await tempDir('import-wording-home');
  inputs = await tempDir('import-wording-inputs');
  await writeFile(path.join(inputs, 'passphrase'), 'correct horse battery\n');
  for (const name of ['alpha', 'beta']) {
    await writeFile(path.join(inputs, `${name}.json`), profile(name));
    expect((await cli(['profiles', 'import', path.join(inputs, `${name}.json`)])).code).toBe(0);
  }
  const exported = await cli(['profiles', 'export', 'alpha', 'beta', '-o', path.join(inputs, 'plain-bundle.json')]);
  expect(exported.code, exported.stderr).toBe(0);
  const encrypted = await cli(['profiles', 'export', 'alpha', 'beta', '--passphrase-file', path.join(inputs, 'passphrase'), '-o', path.join(inputs, 'bundle.json')]);
  expect(encrypted.code, encrypted.stderr).toBe(0);
});

afterAll(async () => {
  await removeDir(home);
  await removeDir(inputs);
});

it('says an encrypted bundle needs a passphrase, naming --passphrase-file and --passphrase-env', async () => {
  const result = await cli(['profiles', 'import', path.join(inputs, 'bundle.json')]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('BUNDLE_PASSPHRASE_REQUIRED');
  expect(result.stderr).toContain('no passphrase was given');
  expect(result.stderr).toContain('--passphrase-file FILE');
  expect(result.stderr).toContain('--passphrase-env VARIABLE');
  expect(result.stderr).not.toContain('BUNDLE_PASSPHRASE_WRONG');
});

it('points a bundle that meets an existing name at --replace, not at --name', async () => {
  const result = await cli(['profiles', 'import', path.join(inputs, 'plain-bundle.json')]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('PROFILE_EXISTS');
  expect(result.stderr).toContain('holds 2 profiles: import with --replace');
  expect(result.stderr).not.toMatch(/rename the imported one \(--name\)/);
  // What it suggests works.
  expect((await cli(['profiles', 'import', path.join(inputs, 'plain-bundle.json'), '--replace'])).code).toBe(0);
});

it('suggests the field a misspelt one most likely meant', async () => {
  await writeFile(path.join(inputs, 'typo.json'), profile('typo', { proxyServiceURL: 'pulsar+ssl://proxy.test:443' }));
  const result = await cli(['profiles', 'import', path.join(inputs, 'typo.json')]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('unknown field "proxyServiceURL": did you mean "proxyServiceUrl"?');
  await writeFile(path.join(inputs, 'far.json'), profile('far', { colour: 'blue' }));
  expect((await cli(['profiles', 'import', path.join(inputs, 'far.json')])).stderr).toMatch(/unknown field "colour"(?!: did you mean)/);
});
