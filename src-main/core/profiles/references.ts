/**
 * The one resolver of what a profile file or an imported file names on this computer: paths
 * (`/abs`, `relative/to/the/file`, `~/x`, `file:` URLs) and token sources (`authParams`, read by
 * shared/model/authParams.ts). `run` and every import use it, so a value means the same to both.
 */
import { printable } from '../../../shared/model/printable.ts';
import path from 'node:path';
import { AppError, type ErrorCode } from '../../../shared/errors.ts';
import { parseFileReference, parseTokenAuthParams, tokenProblem, type TokenSpec } from '../../../shared/model/authParams.ts';
import { certificateBlocks, parseCertificates } from '../certificates/pemCertificates.ts';
import { readFileBounded } from './boundedRead.ts';

/** Where the names resolve: the naming file's folder, the environment, and the codes to fail with. */
export interface ReferenceContext {
  /** Folder of the file that names the paths; undefined when the content came without one (then only absolute paths work). */
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Code for a value that cannot mean a usable path or token (PROFILE_INVALID, IMPORT_INVALID). */
  invalidCode: ErrorCode;
  /** Code for a file or variable that cannot be read now (PROFILE_SECRET_UNAVAILABLE, IMPORT_INVALID). */
  unreadableCode: ErrorCode;
}

/**
 * Resolves a path named by field `field`: `file:` URLs, `~/`, absolute, or relative to the naming file's folder.
 * @throws AppError `invalidCode` for a malformed file URL or a relative path without a folder.
 */
export function resolveReferencedPath(value: string, context: ReferenceContext, field: string): string {
  let target = value.trim();
  if (target.startsWith('file:')) {
    const parsed = parseFileReference(target);
    if (typeof parsed === 'string') throw new AppError(context.invalidCode, `${field}: ${parsed}`);
    target = parsed.path;
  }
  if (target.startsWith('~/')) target = path.join(context.env?.HOME ?? process.env.HOME ?? '', target.slice(2));
  if (path.isAbsolute(target)) return target;
  if (context.baseDir === undefined) {
    throw new AppError(context.invalidCode, `${field}: the relative path "${printable(value)}" cannot be resolved (the content came without its folder); use an absolute path`);
  }
  return path.resolve(context.baseDir, target);
}

/** Says why a file could not be read, in words. */
export function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : code;
}

/**
 * Reads a file named by field `field` (at most the import size limit).
 * @throws AppError `unreadableCode` naming the field, the path and the reason; IMPORT_TOO_LARGE.
 */
export async function readReferencedFile(value: string, context: ReferenceContext, field: string): Promise<string> {
  const file = resolveReferencedPath(value, context, field);
  try {
    return await readFileBounded(file, { what: `${field} (${printable(file)})` });
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(context.unreadableCode, `${field}: cannot read ${printable(file)} (${readFailure(error)})`, { cause: error });
  }
}

/** Certificates read from a file, with what was left out of it. */
export interface CertificateFile {
  /** The file's `CERTIFICATE` blocks only. */
  pem: string;
  /** The absolute path read. */
  file: string;
  /** Kinds of the other PEM blocks in the file (e.g. `PRIVATE KEY`), which were not kept. */
  dropped: string[];
}

/**
 * Reads certificates (a CA list or a client certificate) named by field `field`, keeping only the
 * `CERTIFICATE` blocks: a combined certificate-and-key file is common, and its key was not asked
 * for. `run` and every import read certificate files through here.
 * @throws as {@link readReferencedFile}; AppError CERTIFICATE_INVALID when it holds no certificate or one does not parse.
 */
export async function readCertificateFile(value: string, context: ReferenceContext, field: string): Promise<CertificateFile> {
  const file = resolveReferencedPath(value, context, field);
  const text = await readReferencedFile(value, context, field);
  const { pem, dropped } = certificateBlocks(text);
  // Throws the precise reason (not PEM, no certificate, one does not parse).
  parseCertificates(pem === '' ? text : pem, `${field} (${printable(file)})`);
  return { pem, file, dropped };
}

/** The warning for the blocks {@link readCertificateFile} left out, naming their kinds only (never their content). */
export function droppedBlocksWarning(certificates: CertificateFile, field: string): string | undefined {
  if (certificates.dropped.length === 0) return undefined;
  const kinds = [...new Set(certificates.dropped)].map((kind) => `"${kind}"`).join(', ');
  return `${field} (${printable(certificates.file)}) also holds ${certificates.dropped.length} block${certificates.dropped.length > 1 ? 's' : ''} that ${certificates.dropped.length > 1 ? 'are not certificates' : 'is not a certificate'} (${kinds}); only its certificates were kept.`;
}

/**
 * Parses `authParams` of AuthenticationToken.
 * @throws AppError `invalidCode` naming the field when it cannot name a token.
 */
export function tokenSpec(authParams: string, context: ReferenceContext, field: string): TokenSpec {
  const spec = parseTokenAuthParams(authParams);
  if (typeof spec === 'string') throw new AppError(context.invalidCode, `${field}: ${spec}`);
  return spec;
}

/** The absolute file a `file:` token spec names. @throws as {@link resolveReferencedPath}. */
export function tokenFilePath(spec: Extract<TokenSpec, { kind: 'file' }>, context: ReferenceContext, field: string): string {
  if (spec.absolute) return spec.path;
  return resolveReferencedPath(spec.path, context, field);
}

/**
 * Reads the token a spec names, now.
 * @throws AppError `unreadableCode` for an unset variable or an unreadable file, `invalidCode` for an empty or malformed token.
 */
export async function readToken(spec: TokenSpec, context: ReferenceContext, field: string): Promise<string> {
  let token: string;
  if (spec.kind === 'inline') token = spec.token;
  else if (spec.kind === 'env') {
    const value = (context.env ?? process.env)[spec.variable];
    if (value === undefined || value.trim() === '') {
      throw new AppError(context.unreadableCode, `${field}: the environment variable ${spec.variable} is not set (or empty); export it and try again.`);
    }
    token = value.trim();
  } else {
    const file = tokenFilePath(spec, context, field);
    try {
      token = (await readFileBounded(file, { what: `${field}: the token file ${printable(file)}` })).trim();
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(context.unreadableCode, `${field}: cannot read the token file ${printable(file)} (${readFailure(error)}).`, { cause: error });
    }
    if (token === '') throw new AppError(context.unreadableCode, `${field}: the token file ${printable(file)} is empty.`);
  }
  const problem = tokenProblem(token);
  if (problem) throw new AppError(context.invalidCode, `${field}: ${problem}`);
  return token;
}
