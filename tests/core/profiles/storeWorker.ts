/**
 * A second process for the profile-store tests, run with `node --import tsx`:
 *   storeWorker.ts <dir> save-loop <prefix>       saves profiles forever, printing "saved N" after each
 *   storeWorker.ts <dir> add <prefix> <count>     creates <count> profiles, removes every third, prints "done"
 *   storeWorker.ts <dir> claim <prefix> <count>   tries to create <prefix>-0..count-1, printing "won i" or "lost i"
 */
import { ProfileStore } from '../../../src-main/core/profiles/store.ts';
import { createOsKeychain } from '../../../src-main/core/secrets/keychain.ts';

const [dir, mode, prefix, countText] = process.argv.slice(2);
if (!dir || !mode || !prefix) throw new Error('usage: storeWorker.ts <dir> <mode> <prefix> [count]');
const store = await ProfileStore.open({ dir, keychain: createOsKeychain(), lockTimeoutMs: 20_000 });

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
