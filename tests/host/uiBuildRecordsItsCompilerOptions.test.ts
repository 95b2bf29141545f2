/**
 * The UI build's record of what it was made from (vite.config.ts, scripts/buildInputs.mjs) names
 * tsconfig.json: Vite's TypeScript transform reads its compiler options (useDefineForClassFields,
 * verbatimModuleSyntax, the JSX and decorator options), so a pull that changes only them changes the
 * page, and the build made before it must not be served as current.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureRendererBuild, rendererInputsManifest } from '../../src-main/host/rendererBuild.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pt-ui-compiler-options-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('records tsconfig.json among the files the UI was built from', { timeout: 120_000 }, async () => {
  const rendererDir = path.join(dir, 'renderer');
  await ensureRendererBuild({ rendererDir });
  const recorded = JSON.parse(await readFile(rendererInputsManifest(rendererDir), 'utf8')) as { inputs: { file: string }[] };
  expect(recorded.inputs.map((input) => input.file)).toContain('tsconfig.json');
});
