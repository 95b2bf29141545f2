/**
 * One direction's output keeps stream order while a rewrite is pending: what comes after a
 * deferred frame waits behind it, `pending` tells the source when to read again, and a failed
 * rewrite fails every waiter (and the direction) instead of sending anything after the gap.
 */
import { expect, it } from 'vitest';
import { OrderedOutput } from '../../../../src-main/core/routing/orderedOutput.ts';

const bytes = (text: string) => Buffer.from(text);
const written = (out: Buffer[]) => Buffer.concat(out).toString();

function deferred() {
  let resolve!: (value: Buffer) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<Buffer>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

it('writes at once while nothing is pending', () => {
  const out: Buffer[] = [];
  const output = new OrderedOutput();
  output.bind((piece) => out.push(piece));
  output.emit(bytes('a'));
  output.emit(bytes('b'));
  expect(written(out)).toBe('ab');
  expect(output.pending()).toBeUndefined();
});

it('holds what follows a deferred frame until it is computed, then writes all in order', async () => {
  const out: Buffer[] = [];
  const output = new OrderedOutput();
  output.bind((piece) => out.push(piece));
  const first = deferred();
  const second = deferred();
  output.emit(bytes('1'));
  output.defer(first.promise);
  output.emit(bytes('3'));
  output.defer(second.promise);
  output.emit(bytes('5'));
  expect(written(out)).toBe('1');
  const waiting = output.pending();
  expect(waiting).toBeInstanceOf(Promise);
  // The later slot is ready first: it still waits for the earlier one.
  second.resolve(bytes('4'));
  await new Promise((resolve) => setImmediate(resolve));
  expect(written(out)).toBe('1');
  first.resolve(bytes('2'));
  await waiting;
  expect(written(out)).toBe('12345');
  expect(output.pending()).toBeUndefined();
});

it('keeps output emitted before a writer is bound, and writes it in order once a slot completes', async () => {
  const out: Buffer[] = [];
  const output = new OrderedOutput();
  output.emit(bytes('x'));
  const slot = deferred();
  output.defer(slot.promise);
  output.bind((piece) => out.push(piece));
  slot.resolve(bytes('y'));
  await output.pending();
  expect(written(out)).toBe('xy');
});

it('fails every waiter, now and later, when a deferred frame fails, and writes nothing after it', async () => {
  const out: Buffer[] = [];
  const output = new OrderedOutput();
  output.bind((piece) => out.push(piece));
  const slot = deferred();
  output.defer(slot.promise);
  output.emit(bytes('after'));
  const one = output.pending();
  const two = output.pending();
  const failure = new Error('listener failed');
  slot.reject(failure);
  await expect(one).rejects.toBe(failure);
  await expect(two).rejects.toBe(failure);
  await expect(output.pending()).rejects.toBe(failure);
  expect(out).toEqual([]);
});
