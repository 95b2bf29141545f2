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
 * The young generation is kept at its starting size, 1 MB per semi-space, instead of growing to
 * V8's 16 MB (keepYoungGenerationSmall, called first thing by every entry of an engine): opening
 * connections or moving a burst of data grows it, and its pages stay resident afterwards. A small
 * young generation is also collected more often, which frees the backing stores of the socket
 * reads' dead Buffers sooner, so less memory piles up during a transfer and stays with the process
 * after it (glibc keeps freed memory). Side by side, with 1,000 idle connections: a fresh tunnel
 * ~126 → ~109 MB; one that had moved the transfers of `npm run bench:variants` ~140–146 → ~112–119
 * MB, where 2 MB semi-spaces left ~124–130 MB. The cost is more scavenges (~50 instead of ~35 per
 * GiB uploaded): in three bench:variants runs on a loaded 2-core machine CPU per GiB was within
 * the rounds' spread of 2 MB semi-spaces' (upload 1.68/1.68/1.40 against 1.48/1.56/1.48 s/GiB,
 * download 2.16/2.16/1.92 against 2.04/1.84/1.88). A full `npm run bench` at load 2 with it gave the
 * tunnel 0.88 (up) and 0.95 (down) of the plain Node pipe's CPU per GiB.
 * (--max-semi-space-size=1 does the same from the start, where a process is forked with Node
 * flags; V8 reads it only at start, whereas the growth factor is read each time the young
 * generation would grow, so it works when set at run time.)
 *
 * Set at run time: the CLI has no place to pass Node flags to itself.
 */
import v8 from 'node:v8';

/** The Node flag that starts a forked engine with the young generation {@link keepYoungGenerationSmall} keeps. */
export const smallYoungGenerationFlag = '--max-semi-space-size=1';

let tuned = false;

/** Stops V8's young generation growing past the size it has now (1 MB per semi-space at start). */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** Turns incremental marking off and keeps the young generation small, for this process (once; later calls do nothing). */
export function tuneGcForStreaming(): void {
  if (tuned) return;
  tuned = true;
  v8.setFlagsFromString('--no-incremental-marking');
  keepYoungGenerationSmall();
}
