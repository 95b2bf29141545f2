/**
 * A checkout never serves a UI older than its sources: the build records what it was made from
 * (scripts/buildInputs.mjs, written by vite.config.ts), and `pulsar-tunnel ui` / `npm start` build
 * again when any of it changed or when the build has no such record (made before records were
 * written). An old page served after a pull speaks an older protocol to the new web host: its live
 * log was refused, and the log stayed empty without a word.
 */
import { mkdir, mkdtemp, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputsAreCurrent, writeInputsManifest } from '../../scripts/buildInputs.mjs';
import { ensureRendererBuild, projectRoot, rendererInputsManifest } from '../../src-main/host/rendererBuild.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pt-ui-build-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a build is current only while every file it was made from is unchanged', () => {
  /** A project root with two source files and the manifest of a build made from them just now. */
  async function builtProject(name: string): Promise<{ root: string; manifest: string }> {
    const root = path.join(dir, name);
    await mkdir(path.join(root, 'src'), { recursive: true });
    await writeFile(path.join(root, 'src', 'a.ts'), 'export const a = 1;\n');
    await writeFile(path.join(root, 'src', 'b.ts'), 'export const b = 2;\n');
    // Times in the past, then a build that started after them.
    const past = new Date(Date.now() - 60_000);
    await utimes(path.join(root, 'src', 'a.ts'), past, past);
    await utimes(path.join(root, 'src', 'b.ts'), past, past);
    const manifest = path.join(root, 'build.inputs.json');
    writeInputsManifest(manifest, root, [path.join(root, 'src', 'a.ts'), 'src/b.ts'], Date.now());
    return { root, manifest };
  }

  it('is current when nothing changed', async () => {
    const { root, manifest } = await builtProject('unchanged');
    expect(inputsAreCurrent(manifest, root)).toBe(true);
    expect(JSON.parse(await readFile(manifest, 'utf8')).inputs.map((input: { file: string }) => input.file)).toEqual(['src/a.ts', 'src/b.ts']);
  });

  it('is out of date when a file was edited after the build', async () => {
    const { root, manifest } = await builtProject('edited');
    await writeFile(path.join(root, 'src', 'a.ts'), 'export const a = 3;\n');
    expect(inputsAreCurrent(manifest, root)).toBe(false);
  });

  it('is out of date when a file was put back with an older time and the same size (cp -p, git checkout of an older commit)', async () => {
    const { root, manifest } = await builtProject('put-back');
    await writeFile(path.join(root, 'src', 'b.ts'), 'export const b = 9;\n');
    const older = new Date(Date.now() - 3_600_000);
    await utimes(path.join(root, 'src', 'b.ts'), older, older);
    expect(inputsAreCurrent(manifest, root)).toBe(false);
  });

  it('is out of date when a file is gone, and when there is no manifest or an unreadable one', async () => {
    const gone = await builtProject('gone');
    await unlink(path.join(gone.root, 'src', 'a.ts'));
    expect(inputsAreCurrent(gone.manifest, gone.root)).toBe(false);
    const none = await builtProject('no-manifest');
    await unlink(none.manifest);
    expect(inputsAreCurrent(none.manifest, none.root)).toBe(false);
    const garbled = await builtProject('garbled');
    await writeFile(garbled.manifest, '{"inputs": 3}');
    expect(inputsAreCurrent(garbled.manifest, garbled.root)).toBe(false);
  });
});

describe('the web host builds the UI again when its build is not current', () => {
  it('builds once, then serves that build while it is current, and builds again a build that has no record of its sources', { timeout: 120_000 }, async () => {
    const rendererDir = path.join(dir, 'renderer');
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);

    await ensureRendererBuild({ rendererDir, log });
    expect(lines).toEqual([expect.stringContaining('Building the UI into')]);
    const manifest = rendererInputsManifest(rendererDir);
    const recorded = JSON.parse(await readFile(manifest, 'utf8')) as { inputs: { file: string }[] };
    // What the page is made of: our sources, the shared code, the packages, the page and the config,
    // and tsconfig.json, whose compiler options Vite's TypeScript transform applies
    // (useDefineForClassFields alone changes every chunk).
    const files = recorded.inputs.map((input) => input.file);
    for (const file of ['src-renderer/index.html', 'src-renderer/main.ts', 'src-renderer/lib/api.ts', 'shared/ipc/webSession.ts', 'vite.config.ts', 'tsconfig.json']) expect(files).toContain(file);
    expect(files.some((file) => file.startsWith('node_modules/svelte/'))).toBe(true);

    // Current: served as it is, nothing built.
    const builtAt = (await stat(path.join(rendererDir, 'index.html'))).mtimeMs;
    await ensureRendererBuild({ rendererDir, log });
    expect(lines).toHaveLength(1);
    expect((await stat(path.join(rendererDir, 'index.html'))).mtimeMs).toBe(builtAt);

    // A build made before builds recorded their sources (the case after a pull): built again.
    await unlink(manifest);
    await expect(ensureRendererBuild({ rendererDir, build: false })).rejects.toThrow(/The UI is older than its sources; run `npm run build:renderer`/);
    await ensureRendererBuild({ rendererDir, log });
    expect(lines[1]).toMatch(/The UI's sources changed since it was built; building it again/);
    expect(inputsAreCurrent(manifest, projectRoot)).toBe(true);
  });
});
