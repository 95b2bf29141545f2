/** The README stays true: it documents every error code and every profile-file key the code has. */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { errorCatalog } from '../../shared/errors.ts';
import { listenSchema, profileFileSchema } from '../../shared/model/profile.ts';
import { riskCatalog } from '../../shared/model/risks.ts';
import { repoRoot } from '../fixtures/cliProcess.ts';

const readme = await readFile(`${repoRoot}/README.md`, 'utf8');

it('lists every error code with what to do', () => {
  const missing = Object.keys(errorCatalog).filter((code) => !readme.includes(`| \`${code}\` |`));
  expect(missing).toEqual([]);
});

it('lists every risky-setting warning code', () => {
  const missing = Object.keys(riskCatalog).filter((code) => !readme.includes(`| \`${code}\` |`));
  expect(missing).toEqual([]);
});

it('documents every key of the profile file', () => {
  const keys = [...Object.keys(profileFileSchema.shape).filter((key) => key !== 'listen'), ...Object.keys(listenSchema.shape).map((key) => `listen.${key}`)];
  expect(keys.length).toBeGreaterThan(10);
  const missing = keys.filter((key) => !readme.includes(`\`${key}\``));
  expect(missing).toEqual([]);
});

it('shows the two commands a newcomer runs', () => {
  expect(readme).toContain('npm ci');
  expect(readme).toContain('npm start');
  expect(readme).toContain('npm test');
});
