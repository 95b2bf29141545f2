/** Small display helpers shared by the features. Pure functions, no DOM. */
import { errorCatalog, isAppError } from '../../shared/errors.ts';

/** 1536 -> "1.5 KiB"; exact bytes below 1 KiB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** 950 -> "950 ms", 61_000 -> "1m 01s", 3_700_000 -> "1h 01m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** An ISO time as local HH:MM:SS.mmm (the log's granularity). */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** What the UI shows for any failure: the stable code and a sentence a user can act on. */
export interface ErrorDescription {
  code: string;
  message: string;
}

/** Describes an AppError, a serialized error or anything thrown, for display. */
export function describeError(error: unknown): ErrorDescription {
  // The message is the explanation: it says what happened and what to do. The catalog's general
  // advice for the code is not printed again beside it (it repeated the message).
  if (isAppError(error)) return { code: error.code, message: error.message || catalogMessage(error.code) };
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const { code, message } = error as { code: unknown; message: unknown };
    return { code: String(code), message: String(message) || catalogMessage(String(code)) };
  }
  return { code: 'TUNNEL_INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

function catalogMessage(code: string): string {
  return (errorCatalog as Record<string, string>)[code] ?? code;
}
