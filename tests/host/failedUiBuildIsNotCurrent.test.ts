/**
 * A UI build that failed never leaves a record saying the build is current. The build records what
 * it was made from (vite.config.ts, scripts/buildInputs.mjs), and `pulsar-tunnel ui` / `npm start`
 * serve out/renderer as it is while that record holds. A build that stops half-way (a source that
 * does not compile, an import of a package not installed yet after a pull) had already read the
 * config, and its record listed only the config's files: the older build left in out/renderer was
 * then served as current, even once the source was fixed, until the config itself changed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inputsAreCurrent } from '../../scripts/buildInputs.mjs';
import { ensureRendererBuild, projectRoot, rendererInputsManifest } from '../../src-main/host/rendererBuild.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pt-ui-failed-build-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('a build that failed leaves the UI out of date, so the next start builds it again', { timeout: 180_000 }, async () => {
  const rendererDir = path.join(dir, 'renderer');
  const manifest = rendererInputsManifest(rendererDir);
  await ensureRendererBuild({ rendererDir });
  expect(inputsAreCurrent(manifest, projectRoot)).toBe(true);

  // The same build as the web host's, of sources one of which does not compile.
  const vite = await import('vite');
  const brokenSource = {
    name: 'a-source-that-does-not-compile',
    transform(this: { error(message: string): never }, _code: string, id: string) {
      if (id.endsWith('/src-renderer/main.ts')) this.error('Unexpected token (a source that does not compile)');
    },
  };
  await expect(
    vite.build({
      configFile: path.join(projectRoot, 'vite.config.ts'),
      root: path.join(projectRoot, 'src-renderer'),
      logLevel: 'silent',
      build: { outDir: rendererDir, emptyOutDir: true },
      plugins: [brokenSource],
    }),
  ).rejects.toThrow(/does not compile/);

  // What out/renderer holds is not what the sources make: never served as current.
  expect(inputsAreCurrent(manifest, projectRoot)).toBe(false);
  await expect(ensureRendererBuild({ rendererDir, build: false })).rejects.toThrow(/The UI is older than its sources; run `npm run build:renderer`/);

  // Once the sources build again, the next start builds and records them.
  const lines: string[] = [];
  await ensureRendererBuild({ rendererDir, log: (line) => lines.push(line) });
  expect(lines).toEqual([expect.stringMatching(/The UI's sources changed since it was built; building it again/)]);
  expect(inputsAreCurrent(manifest, projectRoot)).toBe(true);
});
