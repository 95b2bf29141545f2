/**
 * Runtime parsers for every input that crosses a process boundary into main (Electron IPC, the web
 * host's HTTP API). TypeScript types vanish at the boundary, so main never trusts the shape of
 * arguments from a renderer: each method's arguments are checked here, and a bad one is refused with
 * API_BAD_REQUEST naming the method, the argument and the field. Profile contents are checked by
 * the stored-profile schema itself, so the UI gets PROFILE_INVALID naming the field, like the CLI.
 */
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { maxImportBytes, maxImportText, utf8Length } from '../model/importLimit.ts';
import { describeIssues } from '../model/profile.ts';
import { secretKinds, storedProfileSchema } from '../model/storedProfile.ts';
import type { StoredProfileInput } from '../model/storedProfile.ts';
import { apiMethods } from './contract.ts';
import type { ApiMethod, ExportRequest, TunnelApi } from './contract.ts';

/** Longest file accepted for import, in characters (the byte limit is checked too; one limit for CLI and API). */
export const maxImportChars = maxImportBytes;

// A profile name as the store spells it; the store answers PROFILE_NOT_FOUND for names it lacks.
const name = z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters');
// Secrets are PEM keys, tokens or passphrases: bounded so a renderer cannot make main hold megabytes.
const secretValue = z.string().max(100_000, 'must be at most 100,000 characters').nullable();
const passphrase = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');

const profileInput = z.record(z.string(), z.unknown(), { error: 'must be an object (a profile)' });

// The options of a Doctor run: a topic, the idle check, and brokers to check (host:port).
const doctorOptions = {
  topic: z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters').optional(),
  idleCheck: z.boolean().optional(),
  brokers: z.array(z.string().min(1, 'must not be empty').max(300, 'must be at most 300 characters')).max(64, 'must name at most 64 brokers').optional(),
};

/** One zod tuple per request/response method: the arguments in order, optional ones last. */
const argSchemas = {
  listProfiles: z.tuple([]),
  saveProfile: z.tuple([profileInput, z.strictObject({ previousName: name.optional() }).optional()]),
  duplicateProfile: z.tuple([name, name, z.strictObject({ listenPort: z.number().int().min(1).max(65535).optional() }).optional()]),
  removeProfile: z.tuple([name]),
  setSecret: z.tuple([name, z.enum(secretKinds), secretValue]),
  keychainStatus: z.tuple([]),
  importProfiles: z.tuple([
    z.string().min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
    z.string(),
    z.strictObject({ passphrase: passphrase.optional(), readSecrets: z.boolean().optional(), onConflict: z.enum(['replace', 'keepBoth']).optional(), name: name.optional() }).optional(),
  ]),
  exportProfiles: z.tuple([
    z.strictObject({ names: z.array(name).min(1, 'must name at least one profile').max(1000), passphrase: passphrase.optional() }),
  ]),
  startTunnel: z.tuple([name]),
  stopTunnel: z.tuple([name]),
  restartTunnel: z.tuple([name]),
  tunnelStatus: z.tuple([]),
  listenPortAdvice: z.tuple([name]),
  snippets: z.tuple([name]),
  runDoctor: z.tuple([name, z.strictObject(doctorOptions).optional()]),
  runDoctorOnDraft: z.tuple([
    profileInput,
    z.strictObject({ ...doctorOptions, previousName: name.optional(), token: z.string().min(1, 'must not be empty').max(100_000, 'must be at most 100,000 characters').optional() }).optional(),
  ]),
} satisfies Record<ApiMethod, z.ZodType>;

// Argument names for messages, so "startTunnel: name: ..." reads better than "startTunnel: 0: ...".
const argNames: Record<ApiMethod, readonly string[]> = {
  listProfiles: [],
  saveProfile: ['input', 'options'],
  duplicateProfile: ['name', 'newName', 'options'],
  removeProfile: ['name'],
  setSecret: ['name', 'kind', 'value'],
  keychainStatus: [],
  importProfiles: ['fileName', 'content', 'options'],
  exportProfiles: ['request'],
  startTunnel: ['name'],
  stopTunnel: ['name'],
  restartTunnel: ['name'],
  tunnelStatus: [],
  listenPortAdvice: ['name'],
  snippets: ['name'],
  runDoctor: ['name', 'options'],
  runDoctorOnDraft: ['input', 'options'],
};

/** True when `value` names one of the request/response methods of {@link TunnelApi}. */
export function isApiMethod(value: unknown): value is ApiMethod {
  return typeof value === 'string' && (apiMethods as readonly string[]).includes(value);
}

/** The argument tuple of a request/response method. */
export type ApiArgs<M extends ApiMethod> = Parameters<TunnelApi[M]>;

/**
 * Checks the arguments of one API call as they arrived over IPC or HTTP. Trailing `undefined`s
 * (JSON turns them into `null` or drops them) are accepted for optional arguments.
 * @returns the arguments, typed for `method`
 * @throws AppError API_BAD_REQUEST naming the method and the field, e.g.
 *   `startTunnel: name: expected string, received number`;
 *   PROFILE_INVALID from saveProfile when the profile itself breaks the stored-profile schema.
 */
export function parseApiArgs<M extends ApiMethod>(method: M, args: unknown): ApiArgs<M> {
  if (!Array.isArray(args)) throw new AppError('API_BAD_REQUEST', `${method}: args must be an array`);
  const schema = argSchemas[method] as z.ZodType;
  // JSON has no undefined: an omitted optional argument may arrive as null. Drop trailing nulls
  // beyond the required count only where the argument is optional (setSecret's value may be null).
  const trimmed = trimOptionalNulls(method, args);
  // The same limit, and the same code, as the CLI's import of a file.
  if (method === 'importProfiles' && typeof trimmed[1] === 'string' && utf8Length(trimmed[1]) > maxImportBytes) {
    throw new AppError('IMPORT_TOO_LARGE', `importProfiles: content is ${utf8Length(trimmed[1])} bytes, over the ${maxImportText} limit for imported files; is it the right file?`);
  }
  const result = schema.safeParse(trimmed, { reportInput: true });
  if (!result.success) {
    const names = argNames[method];
    const detail = result.error.issues.map((issue) => {
      const [index, ...rest] = issue.path;
      const head = typeof index === 'number' ? (names[index] ?? `args[${index}]`) : 'args';
      const path = [head, ...rest.map(String)].join('.');
      if (issue.code === 'too_big' && issue.origin === 'array' && issue.path.length === 0) return `takes at most ${names.length} argument(s)`;
      if (issue.code === 'too_small' && issue.origin === 'array' && issue.path.length === 0) return `needs ${names.join(', ')}`;
      if (issue.code === 'invalid_type' && issue.input === undefined) return `${path}: is required`;
      if (issue.code === 'invalid_type') return `${path}: must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}, not ${issue.input === null ? 'null' : Array.isArray(issue.input) ? 'a list' : typeof issue.input}`;
      return `${path}: ${issue.message}`;
    });
    throw new AppError('API_BAD_REQUEST', `${method}: ${detail.join('; ')}`);
  }
  if (method === 'saveProfile' || method === 'runDoctorOnDraft') {
    const [input] = result.data as [Record<string, unknown>, unknown];
    parseProfileInput(input);
  }
  return result.data as ApiArgs<M>;
}

/**
 * Checks a profile submitted by a form against the stored-profile schema.
 * @throws AppError PROFILE_INVALID with one line per problem, each naming the field.
 */
export function parseProfileInput(input: unknown): StoredProfileInput {
  const result = storedProfileSchema.safeParse(input);
  if (!result.success) throw new AppError('PROFILE_INVALID', describeIssues(result.error.issues, input).join('\n'));
  return input as StoredProfileInput;
}

/** Checks an export request (also used by the CLI-free paths that build one). */
export function parseExportRequest(value: unknown): ExportRequest {
  return parseApiArgs('exportProfiles', [value])[0];
}

const optionalTail: Partial<Record<ApiMethod, number>> = { saveProfile: 1, duplicateProfile: 2, importProfiles: 2, runDoctor: 1, runDoctorOnDraft: 1 };

function trimOptionalNulls(method: ApiMethod, args: unknown[]): unknown[] {
  const index = optionalTail[method];
  if (index === undefined || args.length !== index + 1) return args;
  return args[index] === null || args[index] === undefined ? args.slice(0, index) : args;
}
