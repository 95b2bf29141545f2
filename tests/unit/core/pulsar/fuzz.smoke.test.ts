import { describe, expect, it } from 'vitest';
import { runCase } from './fuzzEngine.ts';

describe('pulsar frame fuzz (smoke run; `npm run fuzz` runs a million cases)', () => {
  it('passes 3000 seeded cases of random, mutated and valid streams', () => {
    const failures = [];
    for (let seed = 0; seed < 3000; seed++) {
      const failure = runCase(0x5eed0000 + seed);
      if (failure) failures.push({ seed: 0x5eed0000 + seed, kind: failure.kind, reason: failure.reason });
    }
    expect(failures).toEqual([]);
  });
});
