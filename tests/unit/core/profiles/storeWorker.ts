/**
 * A second process for the profile-store tests, run with `node --import tsx`:
 *   storeWorker.ts <dir> save-loop <prefix>       saves profiles forever, printing "saved N" after each
 *   storeWorker.ts <dir> add <prefix> <count>     creates <count> profiles, removes every third, prints "done"
 *   storeWorker.ts <dir> claim <prefix> <count>   tries to create <prefix>-0..count-1, printing "won i" or "lost i"
 *   storeWorker.ts <dir> import <tag> <count> <replace 0|1> [die-at]
 *                                                 imports importItems(tag, count) in one call, printing "imported
 *                                                 keychain-writes N" after; with die-at, kills itself (SIGKILL) just
 *                                                 before its die-at-th keychain write or delete
 */
import { ProfileStore } from '../../../../src-main/core/profiles/store.ts';
import { createOsKeychain, type Keychain } from '../../../../src-main/core/secrets/keychain.ts';
import { importItems } from './helpers.ts';

const [dir, mode, prefix, countText, replaceText, dieAtText] = process.argv.slice(2);
if (!dir || !mode || !prefix) throw new Error('usage: storeWorker.ts <dir> <mode> <prefix> [count]');

/** The OS keychain, counting writes and deletes; SIGKILLs this process before the `dieAt`-th one. */
function countingKeychain(dieAt: number | undefined): { keychain: Keychain; writes: () => number } {
  const os = createOsKeychain();
  let writes = 0;
  const before = () => {
    writes += 1;
    if (writes === dieAt) process.kill(process.pid, 'SIGKILL');
  };
  return {
    keychain: {
      get: (...args) => os.get(...args),
      set: (...args) => (before(), os.set(...args)),
      delete: (...args) => (before(), os.delete(...args)),
    },
    writes: () => writes,
  };
}

const counting = countingKeychain(dieAtText === undefined ? undefined : Number(dieAtText));
const store = await ProfileStore.open({ dir, keychain: mode === 'import' ? counting.keychain : createOsKeychain(), lockTimeoutMs: 20_000 });

// A real CA certificate (PKI_CA_PEM) makes some files bigger, so a kill lands mid-write more often.
const caPem = process.env.PKI_CA_PEM;

if (mode === 'save-loop') {
  for (let i = 0; ; i++) {
    const name = `${prefix}-${i % 4}`;
    const exists = (await store.list()).profiles.some((entry) => entry.profile.name === name);
    await store.save(
      { name, serviceUrl: `pulsar+ssl://broker-${i}.test:6651`, listen: { port: 10_000 + (i % 1000) }, ...(caPem && i % 2 === 0 ? { tlsTrustCertsPem: caPem } : {}) },
      exists ? { previousName: name } : {},
    );
    process.stdout.write(`saved ${i}\n`);
  }
} else if (mode === 'add') {
  const count = Number(countText);
  for (let i = 0; i < count; i++) {
    await store.save({ name: `${prefix}-${i}`, serviceUrl: `pulsar+ssl://${prefix}.test:6651` });
    if (i % 3 === 2) await store.remove(`${prefix}-${i - 1}`);
  }
  store.dispose();
  process.stdout.write('done\n');
} else if (mode === 'import') {
  await store.importProfiles(importItems(prefix, Number(countText)), { replace: replaceText === '1' });
  store.dispose();
  process.stdout.write(`imported keychain-writes ${counting.writes()}\n`);
} else if (mode === 'claim') {
  const count = Number(countText);
  for (let i = 0; i < count; i++) {
    try {
      await store.save({ name: `${prefix}-${i}`, serviceUrl: `pulsar+ssl://claimed-by-${process.pid}.test:6651` });
      process.stdout.write(`won ${i}\n`);
    } catch (error) {
      if ((error as { code?: string }).code !== 'PROFILE_EXISTS') throw error;
      process.stdout.write(`lost ${i}\n`);
    }
  }
  store.dispose();
}
