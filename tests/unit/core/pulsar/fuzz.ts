/**
 * `npm run fuzz [cases] [seed]`: runs the Pulsar frame fuzz (fuzzEngine.ts) for `cases` cases
 * (default 1,000,000) from `seed` (default: random, printed), prints cases run, failures and
 * cases/second, and exits non-zero on any failure. A failing case is replayed with
 * `npm run fuzz 1 <its seed>`.
 */
import { runCase } from './fuzzEngine.ts';

const cases = Number(process.argv[2] ?? 1_000_000);
const seed = process.argv[3] !== undefined ? Number(process.argv[3]) : (Math.random() * 2 ** 32) >>> 0;
if (!Number.isSafeInteger(cases) || cases < 1 || !Number.isSafeInteger(seed)) {
  console.error('usage: npm run fuzz [cases] [seed]');
  process.exit(2);
}

console.log(`pulsar frame fuzz: ${cases} cases from seed ${seed}`);
const started = process.hrtime.bigint();
let failures = 0;
const byKind = new Map<string, number>();
let lastReport = Date.now();
for (let index = 0; index < cases; index++) {
  const caseSeed = (seed + index) >>> 0;
  const failure = runCase(caseSeed);
  if (failure) {
    failures++;
    byKind.set(failure.kind, (byKind.get(failure.kind) ?? 0) + 1);
    if (failures <= 10) {
      console.log(`FAIL case seed ${caseSeed} (${failure.kind}): ${failure.reason}`);
      console.log(`  stream (${failure.stream.length} bytes): ${failure.stream.subarray(0, 96).toString('hex')}${failure.stream.length > 96 ? '...' : ''}`);
      console.log(`  replay: npm run fuzz 1 ${caseSeed}`);
    }
  }
  if (Date.now() - lastReport > 10_000) {
    lastReport = Date.now();
    console.log(`  ... ${index + 1} cases, ${failures} failures`);
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`cases run: ${cases}`);
console.log(`failures: ${failures}${failures ? ` (${[...byKind].map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`);
console.log(`time: ${seconds.toFixed(1)} s, ${Math.round(cases / seconds)} cases/s`);
process.exit(failures === 0 ? 0 : 1);
