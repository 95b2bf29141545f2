/**
 * Helpers shared by the importers: reading the files an import names (relative paths resolve
 * against the imported file's folder) and turning Pulsar's `authParams` into a token.
 */
import { printable } from '../../../../shared/model/printable.ts';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../../../shared/errors.ts';
import type { SecretSource } from '../../../../shared/ipc/contract.ts';
import { credentialDestination } from '../../../../shared/model/endpoints.ts';
import { parseServiceUrl } from '../../../../shared/model/profile.ts';
import { droppedBlocksWarning, readCertificateFile, readReferencedFile, readToken, resolveReferencedPath, tokenFilePath, tokenSpec, type ReferenceContext } from '../references.ts';

/**
 * Secrets an import reads from this computer (environment variables, files), as the imported file
 * names them. A file from elsewhere could name any variable or file here and have its secret sent
 * to the file author's server, so nothing is read unless `allowed`; every source is recorded, so
 * the import can say what it read (or would read) from where.
 */
export interface SecretReads {
  allowed: boolean;
  sources: SecretSource[];
}

/** Where an import runs: the folder relative paths resolve against, and the environment for `env:`. */
export interface ImportContext {
  /** The imported file's folder; undefined when the content came without a file (then only absolute paths work). */
  baseDir?: string;
  /** The imported file's name, for messages. */
  fileName: string;
  env?: NodeJS.ProcessEnv;
  /** The gate for secrets the file names; absent: read freely (the user named them, e.g. on the command line). */
  secretReads?: SecretReads;
  /** Where readers add warnings about what they read (e.g. a private key left out of a certificate file). */
  warnings?: string[];
  /** Where the profile being read sends its credential (see {@link importDestination}), for the consent list. */
  sentTo?: string;
}

/**
 * Where an imported profile would send its credential, from its URLs as the file gives them (a URL
 * that does not parse is quoted as it is: the import refuses it anyway).
 */
export function importDestination(serviceUrl: string, proxyServiceUrl?: string): string {
  const service = parseServiceUrl(serviceUrl, ['pulsar+ssl:']);
  const proxy = proxyServiceUrl === undefined ? undefined : parseServiceUrl(proxyServiceUrl, ['pulsar+ssl:']);
  if (typeof service === 'string' || typeof proxy === 'string') return printable(proxyServiceUrl === undefined ? serviceUrl : `${serviceUrl} through the proxy ${proxyServiceUrl}`);
  return credentialDestination(service, proxy);
}

/** A placeholder kept instead of a secret the user has not allowed the import to read; never stored. */
const unreadSecret = 'not-read-awaiting-confirmation';

function references(context: ImportContext): ReferenceContext {
  return { baseDir: context.baseDir, env: context.env, invalidCode: 'IMPORT_INVALID', unreadableCode: 'IMPORT_INVALID' };
}

/** Resolves a path an imported file names: `file://` URLs, `~/`, absolute, or relative to the file's folder. */
export function resolveImportPath(value: string, context: ImportContext, field: string): string {
  return resolveReferencedPath(value, references(context), field);
}

/**
 * Reads a file named by field `field` of the import.
 * @throws AppError IMPORT_INVALID naming the field, the path and the reason (missing, unreadable); IMPORT_TOO_LARGE.
 */
export function readImportFile(value: string, context: ImportContext, field: string): Promise<string> {
  return readReferencedFile(value, references(context), field);
}

/**
 * Records a secret source; true when it may be read now. A file is named by its real path (links
 * followed), and a link that leads out of the imported file's folder is flagged, so the consent list
 * shows what would really be read.
 */
async function mayRead(context: ImportContext, source: SecretSource): Promise<boolean> {
  const reads = context.secretReads;
  if (reads === undefined) return true;
  const recorded = source.from === 'file' ? await followLinks(source, context.baseDir) : source;
  reads.sources.push(context.sentTo === undefined ? recorded : { ...recorded, sentTo: context.sentTo });
  return reads.allowed;
}

async function followLinks(source: SecretSource, baseDir: string | undefined): Promise<SecretSource> {
  let real: string;
  try {
    real = await realpath(source.name);
  } catch {
    return source; // missing or unreadable: the read says so
  }
  if (real === source.name) return source;
  const folder = baseDir === undefined ? undefined : await realpath(baseDir).catch(() => baseDir);
  const inside = folder !== undefined && !path.relative(folder, real).startsWith('..') && !path.isAbsolute(path.relative(folder, real));
  return { ...source, name: real, linkedFrom: source.name, ...(inside || folder === undefined ? {} : { outsideFolder: true }) };
}

/** The file a source recorded by {@link mayRead} says will be read (its real path). */
function recordedPath(context: ImportContext, named: string): string {
  const recorded = context.secretReads?.sources.at(-1);
  return recorded?.from === 'file' && (recorded.linkedFrom ?? recorded.name) === named ? recorded.name : named;
}

/**
 * Reads PEM certificates named by `field`, checking that they parse, so the message names the
 * imported file's field and path rather than the stored profile's.
 * @throws AppError IMPORT_INVALID (unreadable) or CERTIFICATE_INVALID (not PEM certificates).
 */
export async function readImportCertificates(value: string, context: ImportContext, field: string): Promise<string> {
  const certificates = await readCertificateFile(value, references(context), field);
  const warning = droppedBlocksWarning(certificates, field);
  if (warning !== undefined) context.warnings?.push(warning);
  return certificates.pem;
}

/**
 * Reads a PEM private key named by `field`.
 * @throws AppError IMPORT_INVALID (unreadable) or CERTIFICATE_INVALID (no PEM private key in it).
 */
export async function readImportKey(value: string, context: ImportContext, field: string): Promise<string> {
  const file = resolveImportPath(value, context, field);
  if (!(await mayRead(context, { secret: 'clientKey', from: 'file', name: file, field }))) return unreadSecret;
  // The file the consent list named: the link's target as it was when listed.
  const text = await readImportFile(recordedPath(context, file), context, field);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new AppError('CERTIFICATE_INVALID', `${field} (${printable(resolveImportPath(value, context, field))}) holds no PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block); PKCS#12 and DER are not supported, convert with openssl.`);
  }
  return text;
}

/**
 * The token named by Pulsar's AuthenticationToken `authParams` (read by shared/model/authParams.ts,
 * as `run` reads it). Files and variables are read now, so the imported profile no longer depends
 * on them, and only when the context allows it (see {@link SecretReads}).
 * @throws AppError IMPORT_INVALID naming the field when the token cannot be had or is empty.
 */
export async function tokenFromAuthParams(authParams: string, context: ImportContext, field = 'authParams'): Promise<string> {
  const refs = references(context);
  const spec = tokenSpec(authParams, refs, field);
  if (spec.kind !== 'inline') {
    const name = spec.kind === 'env' ? spec.variable : tokenFilePath(spec, refs, field);
    if (!(await mayRead(context, { secret: 'token', from: spec.kind, name, field }))) return unreadSecret;
    if (spec.kind === 'file') return readToken({ ...spec, path: recordedPath(context, name), absolute: true }, refs, field);
  }
  return readToken(spec, refs, field);
}

/**
 * Says where a token named by `authParams` comes from on this computer ("environment variable
 * CLOUD_TOKEN", "file /abs/path"); undefined for a token written in the file itself.
 */
export function tokenOrigin(authParams: string, context: ImportContext): string | undefined {
  const refs = references(context);
  const spec = tokenSpec(authParams, refs, 'authParams');
  if (spec.kind === 'inline') return undefined;
  return spec.kind === 'env' ? `environment variable ${spec.variable}` : `file ${tokenFilePath(spec, refs, 'authParams')}`;
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
