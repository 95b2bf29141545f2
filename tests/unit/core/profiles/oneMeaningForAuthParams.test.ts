/**
 * One reading of `authParams` for `run` and import: every form Pulsar's AuthenticationToken accepts
 * (plus `env:` and a path relative to the naming file) gives the same token through both, and a
 * value that names no token is refused by both.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveTokenSource } from '../../../../src-main/core/profiles/profileFileLoader.ts';
import { parseImport } from '../../../../src-main/core/profiles/import/index.ts';
import { removeDir, tempDir } from './helpers.ts';

const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvbmUtbWVhbmluZyJ9.b25l';
let dir: string;

beforeAll(async () => {
  dir = await tempDir('auth-params');
  await mkdir(path.join(dir, 'with space'));
  await writeFile(path.join(dir, 'token.txt'), `\n${token}\n`);
  await writeFile(path.join(dir, 'with space', 'token.txt'), token);
});
afterAll(() => removeDir(dir));

async function viaRun(authParams: string): Promise<string> {
  return (await resolveTokenSource(authParams, dir))();
}

async function viaImport(authParams: string): Promise<string | undefined> {
  const content = JSON.stringify({ name: 'forms', serviceUrl: 'pulsar+ssl://b.test:6651', authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken', authParams });
  const parsed = await parseImport(content, 'forms.json', { baseDir: dir, env: { PT_FORMS_TOKEN: token }, readSecrets: true });
  // Warnings say where a token came from, never the token (a bare token is its own authParams).
  expect(parsed.warnings.join('\n')).not.toContain(token);
  return parsed.items[0]?.secrets.token;
}

it.each([
  ['token:<jwt>', () => `token:${token}`],
  ['file:/abs/path', () => `file:${dir}/token.txt`],
  ['file:///abs/path', () => `file://${dir}/token.txt`],
  ['file:///abs/path with %20', () => `file://${dir}/with%20space/token.txt`],
  ['file://localhost/abs/path (RFC 8089: this computer)', () => `file://localhost${dir}/token.txt`],
  ['file://relative/path', () => 'file://token.txt'],
  ['file:relative/path', () => 'file:token.txt'],
  ['a bare token', () => token],
  ['the JSON form', () => JSON.stringify({ token })],
  ['env:VARIABLE', () => 'env:PT_FORMS_TOKEN'],
])('%s gives the same token to run and to import', async (_label, authParams) => {
  process.env.PT_FORMS_TOKEN = token;
  try {
    expect(await viaRun(authParams())).toBe(token);
    expect(await viaImport(authParams())).toBe(token);
  } finally {
    delete process.env.PT_FORMS_TOKEN;
  }
});

it.each([
  ['an empty token:', 'token:', /the token is empty/],
  ['a token with spaces', 'two words', /spaces or line breaks/],
  ['a malformed env:', 'env:1X', /does not name an environment variable/],
  ['broken JSON', '{"token":', /looks like JSON but does not parse/],
])('%s is refused alike by run and import', async (_label, authParams, message) => {
  await expect(viaRun(authParams)).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringMatching(message) });
  await expect(viaImport(authParams)).rejects.toMatchObject({ code: 'IMPORT_INVALID', message: expect.stringMatching(message) });
});
