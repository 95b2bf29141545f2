/**
 * The engine process runs a little below the app's CPU priority (nice +5 by default): on a busy
 * machine the UI's process, which answers the window and the API, gets the CPU first, and the data
 * path slows down only while something else wants the same cores. Without contention it changes
 * nothing. PULSAR_TUNNEL_ENGINE_NICE sets the step (0 keeps the app's priority; at most 19).
 *
 * On Linux a nice value belongs to each thread, and Node starts its V8 and libuv threads before any
 * of our code runs: every thread of the process is lowered (threads started later inherit it).
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';

/** The default step below the app's priority. */
export const defaultEngineNice = 5;

/**
 * Lowers this process's priority by `step` (clamped to the lowest priority, 19). Best effort: a
 * platform that refuses leaves the engine at the app's priority, which only costs UI latency under
 * load. Returns the threads (or the process, id 0) lowered.
 */
export function lowerEnginePriority(step = engineNiceFromEnvironment()): number[] {
  if (step <= 0) return [];
  const ids = process.platform === 'linux' ? threadIds() : [0];
  const lowered: number[] = [];
  for (const id of ids) {
    try {
      os.setPriority(id, Math.min(19, os.getPriority(id) + step));
      lowered.push(id);
    } catch {
      // A thread that ended meanwhile, or a platform that does not allow it: see above.
    }
  }
  return lowered;
}

function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [0];
  }
}

/** PULSAR_TUNNEL_ENGINE_NICE as a step from 0 to 19; the default when unset or not a number. */
export function engineNiceFromEnvironment(value = process.env.PULSAR_TUNNEL_ENGINE_NICE): number {
  if (value === undefined || value.trim() === '') return defaultEngineNice;
  const step = Number(value);
  return Number.isInteger(step) ? Math.max(0, Math.min(19, step)) : defaultEngineNice;
}
