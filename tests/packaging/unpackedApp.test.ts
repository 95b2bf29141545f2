/**
 * The packaging configuration (electron.config.ts) proven offline as far as it goes: the app is
 * built as `npm run build:main` and `npm run build:renderer` build it (into a scratch project that
 * shares this repository's node_modules), then electron-builder packages it with the `dir` target
 * from a stand-in Electron distribution (`electronDist`), and the unpacked app is checked: what
 * app.asar holds, the main entry, keytar's native module unpacked and loadable, nothing the app
 * does not run, and a size budget.
 *
 * Not run here, because each step downloads (README, "Packaging"): Electron itself, rebuilding
 * keytar against Electron's headers (`npmRebuild`, so this test sets it to false and packages the
 * keytar built by npm ci, a Node-API module that Electron loads as it is), and the AppImage, deb,
 * dmg and nsis targets' tool chains.
 */
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extractFile, listPackage, statFile } from '@electron/asar';
import { build as buildPackage, Platform } from 'electron-builder';
import { build as viteBuild } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import config from '../../electron.config.ts';
import { repoRoot } from '../fixtures/cliProcess.ts';

/** app.asar plus its unpacked files: about 1 MB; 35 MB when the app carried esbuild, tsx, zod's sources and keytar's build helpers. */
const sizeBudgetBytes = 2 * 1024 * 1024;

let dir: string;
let resources: string;
let asar: string;

async function sizeOfTree(root: string): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  let total = 0;
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pt-package-'));
  const project = path.join(dir, 'project');
  await mkdir(project);
  for (const file of ['package.json', 'package-lock.json']) await copyFile(path.join(repoRoot, file), path.join(project, file));
  await symlink(path.join(repoRoot, 'node_modules'), path.join(project, 'node_modules'), 'dir');
  await symlink(path.join(repoRoot, 'build'), path.join(project, 'build'), 'dir');

  // The builds of `npm run build:main` and `npm run build:renderer`, into the scratch project.
  const mainConfig = path.join(repoRoot, 'src-main', 'electron', 'vite.main.config.ts');
  for (const mode of ['main', 'engine', 'preload']) {
    await viteBuild({ configFile: mainConfig, mode, logLevel: 'silent', build: { outDir: path.join(project, 'out', mode) } });
  }
  await viteBuild({ configFile: path.join(repoRoot, 'vite.config.ts'), root: path.join(repoRoot, 'src-renderer'), logLevel: 'silent', build: { outDir: path.join(project, 'out', 'renderer'), emptyOutDir: true } });

  // A stand-in Electron distribution: electron-builder copies it and renames the executable.
  const electronDist = path.join(dir, 'electron-dist');
  await mkdir(electronDist);
  await writeFile(path.join(electronDist, 'electron'), '#!/bin/sh\necho "stand-in Electron"\n');
  await chmod(path.join(electronDist, 'electron'), 0o755);

  await buildPackage({
    projectDir: project,
    targets: Platform.LINUX.createTarget('dir'),
    config: { ...config, electronDist, npmRebuild: false, directories: { ...config.directories, output: path.join(dir, 'dist') } },
    publish: 'never',
  });
  resources = path.join(dir, 'dist', 'linux-unpacked', 'resources');
  asar = path.join(resources, 'app.asar');
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the unpacked Linux app electron-builder makes from electron.config.ts', () => {
  it('has the executable under the configured name', async () => {
    expect((await stat(path.join(dir, 'dist', 'linux-unpacked', config.executableName!))).isFile()).toBe(true);
  });

  it('holds the main bundle, the engine bundle, the preload and the renderer in app.asar, and package.json names the main bundle', () => {
    const files = listPackage(asar, { isPack: false });
    for (const file of ['/out/main/index.js', '/out/engine/engine.js', '/out/preload/preload.cjs', '/out/renderer/index.html']) expect(files).toContain(file);
    const manifest = JSON.parse(extractFile(asar, 'package.json').toString()) as { name: string; main: string };
    expect(manifest.name).toBe('pulsar-tunnel');
    expect(manifest.main).toBe('out/main/index.js');
    // Every script and style the page loads is packaged.
    const page = extractFile(asar, 'out/renderer/index.html').toString();
    const assets = [...page.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((match) => `/out/renderer/${match[1]}`);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) expect(files).toContain(asset);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
  });

  it("has keytar's native module unpacked beside app.asar, loadable (Node-API)", async () => {
    expect(statFile(asar, 'node_modules/keytar/build/Release/keytar.node')).toMatchObject({ unpacked: true });
    const unpacked = path.join(resources, 'app.asar.unpacked', 'node_modules', 'keytar');
    const binary = await readFile(path.join(unpacked, 'build', 'Release', 'keytar.node'));
    expect(binary.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    const keytar = createRequire(path.join(unpacked, 'package.json'))(unpacked) as Record<string, unknown>;
    expect(typeof keytar.getPassword).toBe('function');
  });

  it('carries no package but keytar, and nothing of esbuild, tsx or the CLI build', () => {
    const files = listPackage(asar, { isPack: false });
    const packages = new Set(files.filter((file) => /^\/node_modules\/[^/]+$/.test(file)).map((file) => file.split('/')[2]));
    expect([...packages]).toEqual(['keytar']);
    expect(files.filter((file) => /esbuild|tsx|prebuild-install|node-abi|\/out\/cli/.test(file))).toEqual([]);
    // keytar's sources and build by-products stay out; its entry point and licence stay in.
    expect(files.filter((file) => file.startsWith('/node_modules/keytar/')).sort()).toEqual(
      ['/node_modules/keytar/LICENSE.md', '/node_modules/keytar/build', '/node_modules/keytar/build/Release', '/node_modules/keytar/build/Release/keytar.node', '/node_modules/keytar/lib', '/node_modules/keytar/lib/keytar.js', '/node_modules/keytar/package.json'].sort(),
    );
  });

  it('lets the main bundle import only what the app holds: Node built-ins, electron and keytar', () => {
    const code = extractFile(asar, 'out/main/index.js').toString();
    const specifiers = [...code.matchAll(/(?:^import[^'"]*from\s*|import\()["']([^"']+)["']/gm)].map((match) => match[1]!);
    const builtins = new Set(builtinModules);
    const outside = specifiers.filter((specifier) => !specifier.startsWith('node:') && !builtins.has(specifier) && specifier !== 'electron');
    expect(new Set(outside)).toEqual(new Set(['keytar']));
  });

  it(`keeps app.asar and its unpacked files within ${sizeBudgetBytes / 1024 / 1024} MiB`, async () => {
    const total = (await stat(asar)).size + (await sizeOfTree(path.join(resources, 'app.asar.unpacked')));
    expect(total).toBeLessThan(sizeBudgetBytes);
  });
});
