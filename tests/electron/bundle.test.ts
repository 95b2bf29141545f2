/**
 * The Electron bundles as `npm run build:main` makes them, checked without Electron's binary: the
 * preload is one CommonJS file that needs nothing but `electron` (a sandboxed preload has no module
 * loader), and run in a VM with a stand-in `electron` it exposes exactly window.tunnelApi; the main
 * bundle is an ES module whose imports are Node built-ins, electron and declared dependencies, and
 * the engine bundle (the utility process's entry) never imports electron.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import { apiMethods } from '../../shared/ipc/contract.ts';
import { projectRoot } from '../../src-main/host/rendererBuild.ts';

let outDir: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'pt-electron-bundle-'));
  const configFile = join(projectRoot, 'src-main', 'electron', 'vite.main.config.ts');
  for (const mode of ['main', 'engine', 'preload']) {
    await build({ configFile, mode, logLevel: 'silent', build: { outDir: join(outDir, mode) } });
  }
}, 120_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('Electron bundles', () => {
  it('the preload is self-contained CommonJS that requires only electron', async () => {
    const code = await readFile(join(outDir, 'preload', 'preload.cjs'), 'utf8');
    const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((match) => match[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(code).not.toMatch(/^\s*import\s/m);
  });

  it('the built preload exposes exactly window.tunnelApi when run like in a sandboxed renderer', async () => {
    const code = await readFile(join(outDir, 'preload', 'preload.cjs'), 'utf8');
    const exposed: [string, Record<string, unknown>][] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, value: Record<string, unknown>) => exposed.push([key, value]) },
      ipcRenderer: { invoke: async () => ({ ok: true, value: null }), send: () => undefined, on: () => undefined, removeListener: () => undefined },
    };
    const module = { exports: {} };
    runInNewContext(code, {
      module,
      exports: module.exports,
      require: (name: string) => {
        if (name !== 'electron') throw new Error(`the preload required ${name}`);
        return electron;
      },
    });
    expect(exposed.map(([key]) => key)).toEqual(['tunnelApi']);
    expect(Object.keys(exposed[0]![1]).sort()).toEqual([...apiMethods, 'subscribeLog'].sort());
  });

  it('the main bundle is an ES module importing only Node built-ins, electron and declared dependencies', async () => {
    const code = await readFile(join(outDir, 'main', 'index.js'), 'utf8');
    const packageJson = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; optionalDependencies?: Record<string, string> };
    const allowed = new Set(['electron', ...Object.keys(packageJson.dependencies), ...Object.keys(packageJson.optionalDependencies ?? {})]);
    const specifiers = [...code.matchAll(/(?:^import[^'"]*from\s*|import\()["']([^"']+)["']/gm)].map((match) => match[1]!);
    expect(specifiers.length).toBeGreaterThan(0);
    const foreign = specifiers.filter((specifier) => !specifier.startsWith('node:') && !allowed.has(specifier.split('/')[0]!));
    expect(foreign).toEqual([]);
    expect(code).toContain('requestSingleInstanceLock');
    // The tunnels run in the engine utility process, built next to the main bundle.
    expect(code).toContain('../engine/engine.js');
    expect(code).toContain('utilityProcess');
  });

  it('the engine bundle is an ES module that never imports electron (a utility process runs plain Node)', async () => {
    const code = await readFile(join(outDir, 'engine', 'engine.js'), 'utf8');
    const specifiers = [...code.matchAll(/(?:^import[^'"]*from\s*|import\()["']([^"']+)["']/gm)].map((match) => match[1]!);
    expect(specifiers).not.toContain('electron');
    expect(code).toContain('parentPort');
  });
});
