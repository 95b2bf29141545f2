/**
 * How errors cross a process boundary from the app service (HTTP, IPC): AppErrors as their code
 * and message; anything else as TUNNEL_INTERNAL, without details that could hold secrets.
 */
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { SerializedError } from '../../../shared/errors.ts';

/** Serialises `error` for the wire; logs unexpected errors to stderr for diagnosis. */
export function serializeError(error: unknown): SerializedError {
  if (isAppError(error)) return { code: error.code, message: error.message };
  console.error('pulsar-tunnel: unexpected error', error);
  return new AppError('TUNNEL_INTERNAL').toJSON();
}
