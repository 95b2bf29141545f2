/**
 * V8's garbage collector set for a process whose work is streaming bytes (the engine: `run`, the
 * `engine` process of the UI, the desktop app's engine).
 *
 * Such a process keeps a small, stable heap, but every socket read is a fresh Buffer whose memory
 * lives outside the heap; V8 starts a major collection each time that outside memory has grown by
 * some tens of MB, i.e. many times per GiB moved. With incremental marking each of those becomes a
 * marking cycle spread over the data path (marking steps between reads, the write barrier in
 * marking mode, concurrent marking threads, a finalization task): on a heap of ~10 MB that costs
 * more than the marking itself. Without it, each collection is one short pause (a few ms for such a
 * heap) and the tunnel used 25–40% less CPU per GiB in `npm run bench:variants`, about as much as a
 * plain Node pipe. Round-trip latency (PING p99) did not change measurably.
 *
 * The young generation is also kept at the size it has when the engine starts (1–2 MB per
 * semi-space) instead of growing to V8's 16 MB: opening connections or moving a burst of data
 * grows it, and its pages stay resident afterwards. A small young generation is also collected
 * more often, which frees the backing stores of the socket reads' dead Buffers sooner, so less
 * memory piles up during a transfer. In `npm run bench` this took ~13 MB off a fresh tunnel with
 * 1,000 idle connections and ~15 MB off one that had moved gigabytes first.
 * (--max-semi-space-size would do the same, but V8 reads it only when the process starts; the
 * growth factor is read each time the young generation would grow, so it works when set here.)
 *
 * Set at run time, before the engine starts: the CLI has no place to pass Node flags to itself.
 */
import v8 from 'node:v8';

let tuned = false;

/** Turns incremental marking off and stops the young generation growing, for this process (once; later calls do nothing). */
export function tuneGcForStreaming(): void {
  if (tuned) return;
  tuned = true;
  v8.setFlagsFromString('--no-incremental-marking');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
