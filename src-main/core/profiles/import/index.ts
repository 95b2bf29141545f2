/**
 * Import entry point: recognises what a file is (our profile file, a bundle, cluster metadata
 * JSON, or a Pulsar client.conf) and reads it into profiles with their secrets; the store then
 * validates and stores them all or none.
 */
import { printable } from '../../../../shared/model/printable.ts';
import path from 'node:path';
import { AppError } from '../../../../shared/errors.ts';
import type { SecretSource } from '../../../../shared/ipc/contract.ts';
import { formatRisk, riskySettings } from '../../../../shared/model/risks.ts';
import { readFileBounded } from '../boundedRead.ts';
import { readFailure } from '../references.ts';
import type { ProfileStore } from '../store.ts';
import { sameName } from '../validate.ts';
import { giveWebPorts } from './webPort.ts';
import { bundleFormat, readBundle } from './bundle.ts';
import { parseClientConf, type ParsedImport } from './clientConf.ts';
import { clusterMetadataKeys, parseClusterMetadata } from './clusterMetadata.ts';
import { parseProfileFile } from './profileFileImport.ts';
import { readImportCertificates, readImportKey, tokenFromAuthParams, type ImportContext } from './sources.ts';

/** The kinds of file the importer understands. */
export type ImportKind = 'profile' | 'bundle' | 'cluster-metadata' | 'client-conf';

/** Options of {@link parseImport}. */
export interface ParseImportOptions {
  /** Name for the imported profile (single-profile formats only). */
  name?: string;
  /** Passphrase of an encrypted bundle. */
  passphrase?: string;
  /** Folder relative paths in the file resolve against; default: none (absolute paths only). */
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Files that complete or replace a single imported profile's credentials (paths relative to the working folder). */
  overrides?: CredentialOverrides;
  /**
   * The user agreed to read the secrets the file names on this computer (`env:` variables, token
   * and key files). Without it nothing is read or stored, and the result lists them for a confirmation.
   */
  readSecrets?: boolean;
}

/** What an import found, read and stored (see {@link ImportResult}). */
export interface ImportOutcome {
  kind: ImportKind;
  imported: string[];
  warnings: string[];
  secretSources: SecretSource[];
  /** Nothing was stored: the file names secrets on this computer and `readSecrets` was not given. */
  needsConfirmation: boolean;
  /** Profiles (stored, or to be stored) that start with the desktop app, as the file sets them. */
  autoStart: string[];
}

/** Credentials given beside the imported file (e.g. for cluster metadata, which holds none). */
export interface CredentialOverrides {
  /** CA certificates (PEM) that sign the brokers' certificates. */
  trustCertsFile?: string;
  /** Client certificate (PEM); needs keyFile. Makes the profile use TLS authentication unless it uses a token. */
  certFile?: string;
  keyFile?: string;
  /** A file holding the token; makes the profile use token authentication. */
  tokenFile?: string;
}

async function applyOverrides(parsed: ParsedImport, overrides: CredentialOverrides | undefined, env: NodeJS.ProcessEnv | undefined, warnings: string[]): Promise<ParsedImport> {
  if (overrides === undefined || Object.values(overrides).every((value) => value === undefined)) return parsed;
  const [item] = parsed.items;
  if (item === undefined || parsed.items.length !== 1) throw new AppError('IMPORT_INVALID', '--trust-certs, --cert, --key and --token-file work only for a single profile, not a bundle.');
  if ((overrides.certFile === undefined) !== (overrides.keyFile === undefined)) throw new AppError('IMPORT_INVALID', '--cert and --key go together: give both.');
  const context: ImportContext = { fileName: 'the command line', baseDir: process.cwd(), env, warnings };
  const profile = { ...item.profile };
  const secrets = { ...item.secrets };
  if (overrides.trustCertsFile !== undefined) profile.tlsTrustCertsPem = await readImportCertificates(overrides.trustCertsFile, context, '--trust-certs');
  if (overrides.certFile !== undefined && overrides.keyFile !== undefined) {
    profile.tlsCertificatePem = await readImportCertificates(overrides.certFile, context, '--cert');
    secrets.clientKey = await readImportKey(overrides.keyFile, context, '--key');
    if (profile.auth === undefined || profile.auth === 'none') profile.auth = 'tls';
  }
  if (overrides.tokenFile !== undefined) {
    secrets.token = await tokenFromAuthParams(`file:${overrides.tokenFile}`, context, '--token-file');
    profile.auth = 'token';
  }
  return { items: [{ ...item, profile, secrets }], warnings: parsed.warnings };
}

/** Recognises the kind of an import file from its content. @throws AppError IMPORT_INVALID for JSON that is malformed or of no known shape. */
export function detectImportKind(content: string, fileName: string): { kind: ImportKind; json?: Record<string, unknown> } {
  const trimmed = content.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new AppError('IMPORT_INVALID', `${fileName} is empty.`);
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch (error) {
      throw new AppError('IMPORT_INVALID', `${fileName} is not valid JSON: ${printable((error as Error).message)}`);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new AppError('IMPORT_INVALID', `${fileName}: expected one JSON object (a profile, a bundle or cluster metadata)`);
    const json = data as Record<string, unknown>;
    if (json.format === bundleFormat) return { kind: 'bundle', json };
    if ('name' in json) return { kind: 'profile', json };
    if (clusterMetadataKeys.some((key) => key in json)) return { kind: 'cluster-metadata', json };
    throw new AppError('IMPORT_INVALID', `${fileName}: this JSON is neither a profile file (it has no "name"), a pulsar-tunnel bundle, nor cluster metadata (no brokerServiceUrlTls)`);
  }
  return { kind: 'client-conf' };
}

/**
 * Reads import content into profiles with their secrets, reading the files it names.
 * @throws AppError IMPORT_INVALID (naming the field or line), BUNDLE_PASSPHRASE_WRONG, CERTIFICATE_INVALID.
 */
export async function parseImport(content: string, fileName: string, options: ParseImportOptions = {}): Promise<ParsedImport & { kind: ImportKind; secretSources: SecretSource[]; needsConfirmation: boolean }> {
  const secretReads = { allowed: options.readSecrets === true, sources: [] as SecretSource[] };
  // The name is quoted in messages: escaped once here, so a newline in it cannot start a line of its own.
  const context: ImportContext = { fileName: printable(fileName), baseDir: options.baseDir, env: options.env, secretReads, warnings: [] };
  const parsed = await parseKind(content, context, options);
  const risks = parsed.items.flatMap((item) => riskySettings(item.profile).map((risk) => `profile "${String(item.profile.name)}": ${formatRisk(risk)}`));
  return {
    ...parsed,
    warnings: [...context.warnings!, ...parsed.warnings, ...risks],
    secretSources: secretReads.sources,
    needsConfirmation: secretReads.sources.length > 0 && !secretReads.allowed,
  };
}

async function parseKind(content: string, context: ImportContext, options: ParseImportOptions): Promise<ParsedImport & { kind: ImportKind }> {
  const { fileName } = context;
  const { kind, json } = detectImportKind(content, fileName);
  if (kind === 'bundle') {
    if (options.name !== undefined) throw new AppError('IMPORT_INVALID', 'A bundle keeps the names of its profiles; --name works only for a single profile.');
    return { kind, ...(await applyOverrides(await readBundle(json!, fileName, options.passphrase), options.overrides, options.env, context.warnings!)) };
  }
  let parsed: ParsedImport;
  if (kind === 'profile') parsed = await parseProfileFile(json!, context, options.name);
  else if (kind === 'cluster-metadata') parsed = parseClusterMetadata(json!, context, options.name);
  else parsed = await parseClientConf(content, context, options.name);
  if (options.overrides?.trustCertsFile !== undefined) parsed = { ...parsed, warnings: parsed.warnings.filter((warning) => !warning.startsWith('Cluster metadata carries no CA')) };
  return { kind, ...(await applyOverrides(parsed, options.overrides, options.env, context.warnings!)) };
}

/** Options of {@link importFile}. */
export interface ImportFileOptions extends ParseImportOptions {
  /** Overwrite existing profiles of the same name. */
  replace?: boolean;
}

/**
 * Imports a file into the store: all of its profiles, or none.
 * @throws AppError IMPORT_INVALID (also for an unreadable file), PROFILE_EXISTS, BUNDLE_PASSPHRASE_WRONG,
 *   CERTIFICATE_INVALID, KEYCHAIN_*.
 */
export async function importFile(store: ProfileStore, file: string, options: ImportFileOptions = {}): Promise<ImportOutcome> {
  let content: string;
  try {
    // Size checked before reading, with the limit the API applies to content a UI sends.
    content = await readFileBounded(file, { what: printable(file) });
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('IMPORT_INVALID', `${printable(file)} cannot be read (${readFailure(error)})`, { cause: error });
  }
  return importContent(store, content, path.basename(file), { baseDir: path.dirname(path.resolve(file)), ...options });
}

/**
 * Imports content (e.g. a file the UI read) into the store. Relative paths in it resolve against
 * `options.baseDir`.
 * @throws as {@link importFile}.
 */
export async function importContent(store: ProfileStore, content: string, fileName: string, options: ImportFileOptions = {}): Promise<ImportOutcome> {
  const parsed = await parseImport(content, fileName, options);
  const { kind, secretSources, needsConfirmation } = parsed;
  const autoStart = parsed.items.filter((item) => item.profile.autoStart === true).map((item) => String(item.profile.name));
  if (needsConfirmation) return { kind, imported: [], warnings: parsed.warnings, secretSources, needsConfirmation, autoStart };
  const stored = (await store.list()).profiles.map((entry) => entry.profile);
  const clash = options.replace ? undefined : stored.find((profile) => parsed.items.some((item) => sameName(profile.name, String(item.profile.name))));
  if (clash && parsed.items.length > 1) {
    // --name renames a file of one profile only: say what works for a bundle.
    throw new AppError(
      'PROFILE_EXISTS',
      `A profile named "${clash.name}" already exists, and ${printable(fileName)} holds ${parsed.items.length} profiles: import with --replace to replace the ones that exist, or remove "${clash.name}" first (profiles remove ${clash.name}).`,
    );
  }
  const web = giveWebPorts(parsed.items, kind, stored);
  const result = await store.importProfiles(web.items, { replace: options.replace });
  return { kind, imported: result.imported, warnings: [...parsed.warnings, ...web.warnings, ...result.warnings], secretSources, needsConfirmation, autoStart };
}
