/**
 * The one validator of stored profiles, shared by the store, the CLI, the UI bridge and every
 * import: the shared zod schema, with failures turned into PROFILE_INVALID messages that name the
 * field.
 */
import { AppError } from '../../../shared/errors.ts';
import { describeIssues } from '../../../shared/model/profile.ts';
import { storedProfileSchema, type StoredProfile } from '../../../shared/model/storedProfile.ts';

/**
 * Validates a profile as a form, an import or a file on disk gives it, filling in defaults.
 * @param context prefixes the message, e.g. `profile "prod" in bundle.json`.
 * @throws AppError PROFILE_INVALID (or `code`) listing every problem, each naming its field.
 */
export function validateStoredProfile(input: unknown, context?: string, code: 'PROFILE_INVALID' | 'IMPORT_INVALID' = 'PROFILE_INVALID'): StoredProfile {
  const result = storedProfileSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = describeIssues(result.error.issues, input);
  const where = context ? `${context}: ` : '';
  throw new AppError(code, `${where}${lines.join('; ')}`);
}

/** Profile names are file names too: two names that differ only in case would collide on macOS and Windows. */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
