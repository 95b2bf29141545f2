import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProfileStore } from '../../../src-main/core/profiles/store.ts';
import { createOsKeychain } from '../../../src-main/core/secrets/keychain.ts';
import { withDeadline } from '../../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../../fixtures/pki.ts';
import { startSecretService, type SecretService } from '../secrets/secretService.ts';
import { removeDir, tempDir } from './helpers.ts';

const worker = path.join(import.meta.dirname, 'storeWorker.ts');
let service: SecretService;
let pki: TestPki;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  [service, pki] = await Promise.all([startSecretService(), createTestPki({ serverHosts: ['broker.test'] })]);
});
afterAll(async () => {
  await pki?.cleanup();
  await service?.stop();
});
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
});
