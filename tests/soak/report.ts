/** The soak's verdicts: one row per scenario with its measured figure and target, then one JSON line. */

/** What one scenario found. */
export interface ScenarioResult {
  name: string;
  pass: boolean;
  /** The measured figure the verdict rests on, in words. */
  measured: string;
  /** What passing requires. */
  target: string;
  /** Every figure, for the JSON line. */
  figures: Record<string, unknown>;
  /** Why it failed (or could not run), when it did. */
  reason?: string;
  seconds: number;
}

/** A scenario that threw is a failure with the error as its reason. */
export function crashed(name: string, target: string, error: unknown, seconds: number): ScenarioResult {
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  return { name, pass: false, measured: 'did not complete', target, figures: {}, reason: message, seconds };
}

function cell(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** The table printed on stdout, one row per scenario (long figures wrap onto continuation lines). */
export function table(results: ScenarioResult[]): string {
  const widths = [34, 6, 7, 60];
  const lines = [[cell('scenario', widths[0]!), cell('result', widths[1]!), cell('time s', widths[2]!), 'measured (target)'].join(' ')];
  lines.push('-'.repeat(widths.reduce((sum, width) => sum + width + 1, 0) + 20));
  for (const result of results) {
    const text = `${result.measured} (${result.target})${result.reason ? `; ${result.reason}` : ''}`;
    const wrapped = wrap(text, 100);
    lines.push([cell(result.name, widths[0]!), cell(result.pass ? 'PASS' : 'FAIL', widths[1]!), cell(result.seconds.toFixed(1), widths[2]!), wrapped[0]].join(' '));
    for (const more of wrapped.slice(1)) lines.push(`${' '.repeat(widths[0]! + widths[1]! + widths[2]! + 3)}${more}`);
  }
  return lines.join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines;
}

/** Percentile `p` (0..1) of `values`, NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Counts of each value, e.g. error codes. */
export function histogram(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
