/**
 * The tunnels' resident memory over the whole soak: before the first scenario, the peak sampled
 * every 100 ms, and after the last one once every connection has closed. The process's own VmRSS
 * (/proc/PID/status), all threads. The verdict is on the peak (memory stays bounded under load) and
 * on descriptors (all given back); "after" is reported, not judged: Node keeps freed heap and
 * malloc arenas mapped, so RSS stays near its peak for a long time after the load is gone
 * (measured here: 308 MB still 35 s after 1,000 transfers ended, from 80 MB before).
 */
import type { ProcessSampler } from './procfs.ts';
import type { ScenarioResult } from './report.ts';

/** The most one tunnel process may reach at the peak of the soak. */
export const peakBoundMb = 512;

export interface MemoryFigures {
  name: string;
  before: { rssMb: number; fds: number };
  peak: ProcessSampler;
  after: { rssMb: number; fds: number };
  /** Listeners the tunnel opened meanwhile and keeps for its lifetime (one per broker seen). */
  listenersOpened: number;
}

export function memoryScenario(tunnels: MemoryFigures[]): ScenarioResult {
  const rows = tunnels.map(({ name, before, peak, after, listenersOpened }) => ({
    name,
    listenersOpened,
    rssMb: { before: +before.rssMb.toFixed(1), peak: +Math.max(peak.peakRssMb, before.rssMb, after.rssMb).toFixed(1), after: +after.rssMb.toFixed(1) },
    fds: { before: before.fds, peak: Math.max(peak.peakFds, before.fds), after: after.fds },
  }));
  const pass = rows.every((row) => row.rssMb.peak <= peakBoundMb && row.fds.after <= row.fds.before + row.listenersOpened);
  return {
    name: 'RSS before / peak / after',
    pass,
    measured: rows.map((row) => `${row.name} tunnel ${row.rssMb.before.toFixed(0)} / ${row.rssMb.peak.toFixed(0)} / ${row.rssMb.after.toFixed(0)} MB, fds ${row.fds.before} / ${row.fds.peak} / ${row.fds.after}${row.listenersOpened ? ` (${row.listenersOpened} broker listener${row.listenersOpened > 1 ? 's' : ''} opened)` : ''}`).join('; '),
    target: `RSS peak ≤ ${peakBoundMb} MB (after: reported only), fds back to before plus the broker listeners it keeps`,
    figures: Object.fromEntries(rows.map((row) => [row.name, { rssMb: row.rssMb, fds: row.fds, brokerListenersOpened: row.listenersOpened }])),
    seconds: 0,
  };
}
