/**
 * The CLI build's record of what it was made from (out/cli/inputs.json, scripts/buildCli.mjs) names
 * tsconfig.json: esbuild reads its compiler options (useDefineForClassFields, verbatimModuleSyntax,
 * the decorator options) for every TypeScript file it bundles, so a pull that changes only them
 * changes the bundle, and bin/pulsar-tunnel.mjs must not run the one built before it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../fixtures/cliProcess.ts';

it('records tsconfig.json among the files the CLI was built from', async () => {
  // Built from the current sources by the test run's setup (tests/fixtures/globalSetup.ts).
  const recorded = JSON.parse(await readFile(path.join(repoRoot, 'out', 'cli', 'inputs.json'), 'utf8')) as { inputs: { file: string }[] };
  expect(recorded.inputs.map((input) => input.file)).toContain('tsconfig.json');
});
