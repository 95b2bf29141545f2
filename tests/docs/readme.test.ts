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

it('has every table row inside a table, and each CLI command in its table once', () => {
  // A row pasted after a paragraph (a merge gone wrong) renders as stray text, not as a table.
  const lines = readme.split('\n');
  let fenced = false;
  const strays: string[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced || !line.startsWith('|')) continue;
    const previous = lines[index - 1] ?? '';
    const isHeader = /^\|[-:| ]+\|$/.test(lines[index + 1] ?? '');
    if (!previous.startsWith('|') && !isHeader) strays.push(`line ${index + 1}: ${line.slice(0, 60)}`);
  }
  expect(strays).toEqual([]);
  const cliTable = readme.slice(readme.indexOf('## The CLI'), readme.indexOf('\n\n', readme.indexOf('| command | what it does |')));
  for (const command of ['run', 'profiles', 'client-conf', 'ui', 'doctor']) {
    expect(cliTable.split('\n').filter((row) => row.startsWith(`| \`${command} `)), command).toHaveLength(1);
  }
});
