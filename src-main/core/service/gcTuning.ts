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
 * Set at run time, before the engine starts: the CLI has no place to pass Node flags to itself.
 */
import v8 from 'node:v8';

let tuned = false;

/** Turns incremental marking off for this process (once; later calls do nothing). */
export function tuneGcForStreaming(): void {
  if (tuned) return;
  tuned = true;
  v8.setFlagsFromString('--no-incremental-marking');
}
