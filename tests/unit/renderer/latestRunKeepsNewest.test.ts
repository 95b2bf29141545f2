/** The Doctor view and the form's connection test show the latest run: a slower, older answer never replaces it. */
import { expect, it } from 'vitest';
import { LatestRun } from '../../../src-renderer/lib/state/latestRun.svelte.ts';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

it('keeps the newer run when an older one answers after it, and reports it settled only for the newer', async () => {
  const latest = new LatestRun<string>();
  const older = deferred<string>();
  const newer = deferred<string>();
  const settled: unknown[] = [];
  const first = latest.run(() => older.promise, (outcome) => settled.push(['older', outcome]));
  const second = latest.run(() => newer.promise, (outcome) => settled.push(['newer', outcome]));
  expect(latest.running).toBe(true);
  newer.resolve('new');
  await second;
  expect(latest.result).toBe('new');
  expect(latest.running).toBe(false);
  older.reject(new Error('old failure'));
  await first;
  expect(latest.result).toBe('new');
  expect(latest.error).toBeUndefined();
  expect(settled).toEqual([['newer', { result: 'new' }]]);
});

it('shows a failure of the latest run in place of the previous result', async () => {
  const latest = new LatestRun<string>();
  await latest.run(async () => 'ok');
  const failure = new Error('down');
  let seen: unknown;
  await latest.run(
    async () => {
      throw failure;
    },
    (outcome) => (seen = outcome),
  );
  expect(latest.result).toBeUndefined();
  expect(latest.error).toBe(failure);
  expect(seen).toEqual({ error: failure });
});
