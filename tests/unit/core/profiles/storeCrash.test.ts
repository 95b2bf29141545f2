import { spawn, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProfileStore } from '../../../../src-main/core/profiles/store.ts';
import { createOsKeychain } from '../../../../src-main/core/secrets/keychain.ts';
import { withDeadline } from '../../../fixtures/deadline.ts';
import type { TestPki } from '../../../fixtures/pki.ts';
import { clearStoreItems, importItems, removeDir, storeItems, tempDir } from './helpers.ts';
import { startKeychainWorldWithPki, type KeychainWorld } from './keychainWorld.ts';

const worker = path.join(import.meta.dirname, 'storeWorker.ts');
let world: KeychainWorld;
let pki: TestPki;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // The import tests write and delete thousands of items.
  ({ pki } = world = await startKeychainWorldWithPki({ serverHosts: ['broker.test'] }, { memoryCollection: true }));
});
afterAll(() => world?.stop());
beforeEach(async () => {
  dir = await tempDir('crash');
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await removeDir(dir);
});

function startWorker(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PKI_CA_PEM: pki.ca.certPem } });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Resolves once the worker printed `count` lines starting with `saved`. */
function savesSeen(child: ChildProcess, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString().split('\n').filter((line) => line.startsWith('saved')).length;
      if (seen >= count) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${String(code)} after ${seen} saves: ${stderr}`)));
  });
}

describe('profile store under crashes and concurrent processes', () => {
  it('still loads after kill -9 during a save loop, and the next save works', async () => {
    for (let round = 0; round < 3; round++) {
      const child = startWorker(['save-loop', `loop${round}`]);
      await withDeadline(savesSeen(child, 20 + round * 7), 20_000, 'the worker to save profiles');
      child.kill('SIGKILL');
      await exited(child);
    }
    const store = await ProfileStore.open({ dir, keychain: createOsKeychain(), lockTimeoutMs: 5_000 });
    const listing = await store.list();
    expect(listing.problems).toEqual([]);
    expect(listing.profiles.length).toBeGreaterThanOrEqual(3);
    for (const entry of listing.profiles) expect(entry.profile.serviceUrl).toMatch(/^pulsar\+ssl:\/\/broker-\d+\.test:6651$/);
    // A lock the killed worker held is taken over; leftover temporary files are never read.
    await store.save({ name: 'after', serviceUrl: 'pulsar+ssl://after.test:6651' });
    expect((await store.list()).profiles.map((entry) => entry.profile.name)).toContain('after');
    await store.cleanTemporaryFiles();
    expect((await readdir(store.profilesDir)).filter((file) => file.startsWith('.tmp-'))).toEqual([]);
    store.dispose();
  });

  it('loses nothing when two processes add and remove profiles at the same time', async () => {
    const a = startWorker(['add', 'alpha', '30']);
    const b = startWorker(['add', 'beta', '30']);
    const [codeA, codeB] = await withDeadline(Promise.all([exited(a), exited(b)]), 30_000, 'both workers to finish');
    expect([codeA, codeB]).toEqual([0, 0]);
    const store = await ProfileStore.open({ dir, keychain: createOsKeychain() });
    const names = new Set((await store.list()).profiles.map((entry) => entry.profile.name));
    for (const prefix of ['alpha', 'beta']) {
      for (let i = 0; i < 30; i++) {
        const removed = i % 3 === 1;
        expect(names.has(`${prefix}-${i}`), `${prefix}-${i}`).toBe(!removed);
      }
    }
    expect(names.size).toBe(40);
    store.dispose();
  });

  it('lets exactly one of two processes create each new name', async () => {
    const outputs = ['', ''];
    const workers = [startWorker(['claim', 'shared', '25']), startWorker(['claim', 'shared', '25'])];
    workers.forEach((child, index) => child.stdout?.on('data', (chunk: Buffer) => (outputs[index] += chunk.toString())));
    const codes = await withDeadline(Promise.all(workers.map(exited)), 30_000, 'both workers to finish');
    expect(codes).toEqual([0, 0]);
    const wins = outputs.map((text) => new Set(text.split('\n').filter((line) => line.startsWith('won')).map((line) => Number(line.slice(4)))));
    for (let i = 0; i < 25; i++) expect(Number(wins[0]!.has(i)) + Number(wins[1]!.has(i)), `shared-${i}`).toBe(1);
    const store = await ProfileStore.open({ dir, keychain: createOsKeychain() });
    const listing = await store.list();
    expect(listing.profiles).toHaveLength(25);
    for (const entry of listing.profiles) {
      const winner = wins[0]!.has(Number(entry.profile.name.slice(7))) ? workers[0]! : workers[1]!;
      expect(entry.profile.serviceUrl).toBe(`pulsar+ssl://claimed-by-${winner.pid}.test:6651`);
    }
    store.dispose();
  });

  describe('an import killed at a random point (kill -9) is all or nothing once the store opens again', () => {
    const count = 200;

    /** Runs the import worker to its end or until killed; kills it at the `killAtEvent`-th change seen in the profiles folder. */
    async function runImport(tag: string, replace: boolean, kill: { keychainWrite?: number; folderEvent?: number } = {}): Promise<{ code: number | null; stdout: string; folderEvents: number }> {
      const profilesDir = path.join(dir, 'profiles');
      // The store creates it too; made first so it can be watched from the start.
      await mkdir(profilesDir, { recursive: true, mode: 0o700 });
      const child = startWorker(['import', tag, String(count), replace ? '1' : '0', ...(kill.keychainWrite === undefined ? [] : [String(kill.keychainWrite)])]);
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      let folderEvents = 0;
      const watcher = watch(profilesDir, () => {
        folderEvents += 1;
        if (folderEvents === kill.folderEvent) child.kill('SIGKILL');
      });
      try {
        const code = await withDeadline(exited(child), 60_000, `the import worker (${tag}) to finish or die`);
        return { code, stdout, folderEvents };
      } finally {
        watcher.close();
      }
    }

    /** Asserts the store holds exactly the profiles and tokens of import `tag` (or nothing), and no other item of its scope. */
    async function expectExactly(tag: string | undefined, where: string): Promise<void> {
      const files = await readdir(path.join(dir, 'profiles'));
      expect(files.filter((file) => file.startsWith('.journal')), where).toEqual([]);
      const store = await ProfileStore.open({ dir, keychain: createOsKeychain() });
      const listing = await store.list();
      store.dispose();
      expect(listing.problems, where).toEqual([]);
      const expectedItems = new Map<string, string>();
      if (tag === undefined) {
        expect(listing.profiles, where).toEqual([]);
      } else {
        expect(listing.profiles.map((entry) => entry.profile.serviceUrl).sort(), where).toEqual(importItems(tag, count).map((item) => item.profile.serviceUrl).sort());
        for (let i = 0; i < count; i++) {
          const record = JSON.parse(await readFile(path.join(dir, 'profiles', `imp-${i}.json`), 'utf8')) as { generation: string };
          expectedItems.set(`imp-${i}/token/${record.generation}`, `${tag}-token-${i}`);
        }
      }
      // Every token is the one of its profile file's import, and no item is left over.
      expect(await storeItems(dir), where).toEqual(expectedItems);
    }

    /**
     * The tag of the import the store holds now: the one before the kill or the one killed. The
     * store that finishes an interrupted import is `running` (open since before the kill, as the
     * desktop app would be) or, without it, one opened now (the next start).
     */
    async function heldTag(candidates: (string | undefined)[], running?: ProfileStore): Promise<string | undefined> {
      const files = (await readdir(path.join(dir, 'profiles'))).filter((file) => file.endsWith('.json') && !file.startsWith('.'));
      const store = running ?? (await ProfileStore.open({ dir, keychain: createOsKeychain() }));
      const first = (await store.list()).profiles[0];
      store.dispose();
      if (first === undefined) return undefined;
      const tag = candidates.find((candidate) => candidate !== undefined && first.profile.serviceUrl.startsWith(`pulsar+ssl://${candidate}-`));
      expect(tag, `a profile of neither import (${first.profile.serviceUrl}; ${files.length} files before open)`).toBeDefined();
      return tag;
    }

    for (const replace of [false, true]) {
      it(`${replace ? 'with --replace over 200 profiles' : 'of 200 new profiles'}: every kill point leaves the before or the after state, and the import can run again`, async () => {
        const before = replace ? 'old' : undefined;
        const seed = async (): Promise<void> => {
          await clearStoreItems(dir);
          await removeDir(dir);
          dir = await tempDir('crash-import');
          if (before === undefined) return;
          const store = await ProfileStore.open({ dir, keychain: createOsKeychain() });
          await store.importProfiles(importItems(before, count));
          store.dispose();
        };
        // A full run measures how many keychain writes and folder changes the import makes.
        await seed();
        const started = Date.now();
        const full = await runImport('new', replace);
        const fullMs = Date.now() - started;
        expect(full.code, full.stdout).toBe(0);
        const writes = Number(/keychain-writes (\d+)/.exec(full.stdout)?.[1]);
        expect(writes).toBeGreaterThanOrEqual(count);
        await expectExactly('new', 'after a full import');
        console.info(`import of ${count} profiles${replace ? ' with --replace' : ''}: ${fullMs} ms with worker start, ${writes} keychain writes/deletes, ${full.folderEvents} folder changes`);

        const outcomes: string[] = [];
        for (let round = 0; round < 3; round++) {
          await seed();
          // Half the kills land on a keychain write or delete, half on a change in the profiles folder.
          const kill = round % 2 === 0 ? { keychainWrite: 1 + Math.floor(Math.random() * writes) } : { folderEvent: 1 + Math.floor(Math.random() * full.folderEvents) };
          const where = `round ${round}, killed at ${JSON.stringify(kill)}`;
          const running = round === 1 ? await ProfileStore.open({ dir, keychain: createOsKeychain() }) : undefined;
          const run = await runImport('new', replace, kill);
          const tag = await heldTag([before, 'new'], running);
          await expectExactly(tag, where);
          outcomes.push(`${JSON.stringify(kill)} -> ${tag === 'new' ? 'after' : run.code === 0 ? 'finished' : 'before'}`);
          // Running the import again works; without --replace it is refused only when the first one stood.
          const store = await ProfileStore.open({ dir, keychain: createOsKeychain() });
          try {
            if (tag === 'new' && !replace) await expect(store.importProfiles(importItems('again', count)), where).rejects.toMatchObject({ code: 'PROFILE_EXISTS' });
            await store.importProfiles(importItems('again', count), { replace: tag !== undefined });
          } finally {
            store.dispose();
          }
          await expectExactly('again', `${where}, then imported again`);
        }
        await clearStoreItems(dir);
        console.info(`kill points: ${outcomes.join('; ')}`);
      }, 300_000);
    }
  });
});
