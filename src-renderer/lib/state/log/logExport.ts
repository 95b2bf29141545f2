/** The connection log's exports: JSON lines and CSV (RFC 4180, spreadsheet-formula safe). */
import type { LogRow } from './logRow.ts';

const csvColumns = [
  'time', 'profile', 'state', 'local', 'sni', 'broker', 'proxy', 'listener', 'tlsVersion', 'cipher',
  'client', 'authMethod', 'bytesUp', 'bytesDown', 'durationMs', 'errorCode', 'errorMessage', 'producers', 'consumers',
] as const;

/** The flat form of a row used by both exports. */
function flatten(row: LogRow): Record<(typeof csvColumns)[number], string | number> {
  return {
    time: row.time,
    profile: row.profile,
    state: row.state,
    local: row.local,
    sni: row.sni,
    broker: row.broker ?? '',
    proxy: row.proxy,
    listener: row.listener,
    tlsVersion: row.tls?.version ?? '',
    cipher: row.tls?.cipher ?? '',
    client: row.client ?? '',
    authMethod: row.authMethod ?? '',
    bytesUp: row.bytesUp,
    bytesDown: row.bytesDown,
    durationMs: row.durationMs ?? '',
    errorCode: row.error?.code ?? '',
    errorMessage: row.error?.message ?? '',
    producers: (row.producers ?? []).join(' '),
    consumers: (row.consumers ?? []).join(' '),
  };
}

function csvCell(value: string | number): string {
  const text = String(value);
  // RFC 4180 quoting; a leading =,+,-,@ is prefixed so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** `rows` (oldest first), one JSON object per line. */
export function toJsonLines(rows: readonly LogRow[]): string {
  return rows.map((row) => JSON.stringify(flatten(row))).join('\n') + '\n';
}

/** `rows` (oldest first) as CSV with a header line. */
export function toCsv(rows: readonly LogRow[]): string {
  const lines = [csvColumns.join(',')];
  for (const row of rows) {
    const flat = flatten(row);
    lines.push(csvColumns.map((column) => csvCell(flat[column])).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
