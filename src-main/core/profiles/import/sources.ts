/**
 * Helpers shared by the importers: reading the files an import names (relative paths resolve
 * against the imported file's folder) and turning Pulsar's `authParams` into a token.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../../../shared/errors.ts';
import { parseCertificates } from '../../certificates/certificates.ts';

/** Where an import runs: the folder relative paths resolve against, and the environment for `env:`. */
export interface ImportContext {
  /** The imported file's folder; undefined when the content came without a file (then only absolute paths work). */
  baseDir?: string;
  /** The imported file's name, for messages. */
  fileName: string;
  env?: NodeJS.ProcessEnv;
}

/** Resolves a path an imported file names: `file://` URLs, `~/`, absolute, or relative to the file's folder. */
export function resolveImportPath(value: string, context: ImportContext, field: string): string {
  let target = value.trim();
  if (target.startsWith('file://')) {
    try {
      target = target.startsWith('file:///') ? fileURLToPath(target) : target.slice('file://'.length);
    } catch {
      throw new AppError('IMPORT_INVALID', `${field}: "${value}" is not a usable file URL`);
    }
  } else if (target.startsWith('file:')) {
    // Pulsar also accepts file:/absolute/path and file:relative/path.
    target = target.slice('file:'.length);
  }
  if (target.startsWith('~/')) target = path.join(context.env?.HOME ?? process.env.HOME ?? '', target.slice(2));
  if (path.isAbsolute(target)) return target;
  if (context.baseDir === undefined) throw new AppError('IMPORT_INVALID', `${field}: the relative path "${value}" cannot be resolved (the content came without its folder); use an absolute path`);
  return path.resolve(context.baseDir, target);
}

/**
 * Reads a file named by field `field` of the import.
 * @throws AppError IMPORT_INVALID naming the field, the path and the reason (missing, unreadable).
 */
export async function readImportFile(value: string, context: ImportContext, field: string): Promise<string> {
  const file = resolveImportPath(value, context, field);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : code;
    throw new AppError('IMPORT_INVALID', `${field}: cannot read ${file} (${reason})`, { cause: error });
  }
}

/**
 * Reads PEM certificates named by `field`, checking that they parse, so the message names the
 * imported file's field and path rather than the stored profile's.
 * @throws AppError IMPORT_INVALID (unreadable) or CERTIFICATE_INVALID (not PEM certificates).
 */
export async function readImportCertificates(value: string, context: ImportContext, field: string): Promise<string> {
  const text = await readImportFile(value, context, field);
  parseCertificates(text, `${field} (${resolveImportPath(value, context, field)})`);
  return text;
}

/**
 * Reads a PEM private key named by `field`.
 * @throws AppError IMPORT_INVALID (unreadable) or CERTIFICATE_INVALID (no PEM private key in it).
 */
export async function readImportKey(value: string, context: ImportContext, field: string): Promise<string> {
  const text = await readImportFile(value, context, field);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new AppError('CERTIFICATE_INVALID', `${field} (${resolveImportPath(value, context, field)}) holds no PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block); PKCS#12 and DER are not supported, convert with openssl.`);
  }
  return text;
}

/**
 * The token named by Pulsar's AuthenticationToken `authParams`: `token:<jwt>`, `file://<path>`,
 * `env:<VAR>`, `{"token":"..."}` or the bare token. Files and variables are read now, so the
 * imported profile no longer depends on them.
 * @throws AppError IMPORT_INVALID naming the field when the token cannot be had or is empty.
 */
export async function tokenFromAuthParams(authParams: string, context: ImportContext, field = 'authParams'): Promise<string> {
  const spec = authParams.trim();
  let token: string;
  if (spec.startsWith('token:')) token = spec.slice('token:'.length);
  else if (spec.startsWith('file:')) token = await readImportFile(spec, context, field);
  else if (spec.startsWith('env:')) {
    const name = spec.slice('env:'.length);
    const value = (context.env ?? process.env)[name];
    if (value === undefined) throw new AppError('IMPORT_INVALID', `${field}: the environment variable ${name} is not set; export it and import again`);
    token = value;
  } else if (spec.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(spec);
    } catch {
      throw new AppError('IMPORT_INVALID', `${field}: looks like JSON but does not parse`);
    }
    const value = (parsed as { token?: unknown }).token;
    if (typeof value !== 'string') throw new AppError('IMPORT_INVALID', `${field}: JSON form needs a "token" string`);
    token = value.startsWith('token:') || value.startsWith('file:') || value.startsWith('env:') ? await tokenFromAuthParams(value, context, field) : value;
  } else token = spec;
  token = token.trim();
  if (token === '') throw new AppError('IMPORT_INVALID', `${field}: the token is empty`);
  if (/\s/.test(token)) throw new AppError('IMPORT_INVALID', `${field}: the token contains spaces or line breaks; it must be one JWT`);
  return token;
}

/**
 * Splits AuthenticationTls `authParams`: `tlsCertFile:/p/cert.pem,tlsKeyFile:/p/key.pem` or the
 * JSON form `{"tlsCertFile":"...","tlsKeyFile":"..."}`.
 * @throws AppError IMPORT_INVALID when neither form parses.
 */
export function tlsFilesFromAuthParams(authParams: string, field = 'authParams'): { certFile?: string; keyFile?: string } {
  const spec = authParams.trim();
  if (spec === '') return {};
  if (spec.startsWith('{')) {
    try {
      const parsed = JSON.parse(spec) as { tlsCertFile?: unknown; tlsKeyFile?: unknown };
      return {
        ...(typeof parsed.tlsCertFile === 'string' ? { certFile: parsed.tlsCertFile } : {}),
        ...(typeof parsed.tlsKeyFile === 'string' ? { keyFile: parsed.tlsKeyFile } : {}),
      };
    } catch {
      throw new AppError('IMPORT_INVALID', `${field}: looks like JSON but does not parse`);
    }
  }
  const result: { certFile?: string; keyFile?: string } = {};
  for (const part of spec.split(',')) {
    const colon = part.indexOf(':');
    if (colon < 0) throw new AppError('IMPORT_INVALID', `${field}: "${part}" is not key:value (expected tlsCertFile:<path>,tlsKeyFile:<path>)`);
    const key = part.slice(0, colon).trim();
    const value = part.slice(colon + 1).trim();
    if (key === 'tlsCertFile') result.certFile = value;
    else if (key === 'tlsKeyFile') result.keyFile = value;
    else throw new AppError('IMPORT_INVALID', `${field}: unknown key "${key}" (expected tlsCertFile and tlsKeyFile)`);
  }
  return result;
}
