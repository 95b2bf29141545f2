/**
 * Loads a profile FILE (format version 1, see README "Profile file") into the TunnelConfig the
 * engine runs: validates it with the shared schema, reads every file it names (relative paths
 * resolve against the profile's folder) and resolves `authParams`. Every failure is an AppError
 * whose message names the field or the file.
 */
import { printable } from '../../../shared/model/printable.ts';
import path from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import { authPlugins, describeIssues, parseServiceUrl, profileFileSchema, type HostPort, type ProfileFile } from '../../../shared/model/profile.ts';
import type { AuthConfig, TunnelConfig } from '../config/tunnelConfig.ts';
import { readFileBounded } from './boundedRead.ts';
import { readCertificateFile, readFailure, readReferencedFile, readToken, tokenSpec, type ReferenceContext } from './references.ts';
import { checkSecretReads, type ProfileFileOptions } from './profileFileSecrets.ts';

export type { ProfileFileOptions, SecretReadNotice } from './profileFileSecrets.ts';

/** Defaults the engine applies where a profile is silent. */
export const profileDefaults = {
  listenHost: '127.0.0.1',
  listenPort: 6650,
  /** Below the 30 s idle timeout of ATS (and of Pulsar's own keepalive, which races it). */
  keepAliveIntervalSeconds: 20,
  connectionTimeoutMs: 10_000,
} as const;

function hostPort(value: string, schemes: string[]): HostPort {
  const parsed = parseServiceUrl(value, schemes);
  if (typeof parsed === 'string') throw new AppError('PROFILE_INVALID', parsed);
  return parsed;
}

function runContext(baseDir: string): ReferenceContext {
  return { baseDir, invalidCode: 'PROFILE_INVALID', unreadableCode: 'PROFILE_SECRET_UNAVAILABLE' };
}

/**
 * Resolves `authParams` of a token profile into a token source (see shared/model/authParams.ts for
 * the forms). A file is read now, so a bad path fails at start, and again on every use, so a
 * refreshed file is picked up.
 * @throws AppError PROFILE_SECRET_UNAVAILABLE naming the variable or file when it cannot be read now,
 *   PROFILE_INVALID when `authParams` names no token.
 */
export async function resolveTokenSource(authParams: string, baseDir: string, env?: NodeJS.ProcessEnv): Promise<() => Promise<string>> {
  const context = { ...runContext(baseDir), env };
  const spec = tokenSpec(authParams, context, 'authParams');
  let last = await readToken(spec, context, 'authParams');
  if (spec.kind !== 'file') return async () => last;
  return async () => {
    try {
      last = await readToken(spec, context, 'authParams');
    } catch {
      // Keep the last good token if the file is briefly missing while being replaced.
    }
    return last;
  };
}

/**
 * Validates a parsed profile object and turns it into a TunnelConfig.
 * @param baseDir folder that relative paths resolve against
 * @param options the consent to read secrets from this computer and who hears of each read (see profileFileSecrets.ts)
 * @throws AppError PROFILE_INVALID (names the field), PROFILE_SECRET_UNAVAILABLE, PROFILE_SECRETS_NOT_CONFIRMED
 */
export async function profileToConfig(raw: unknown, baseDir: string, options: ProfileFileOptions = {}): Promise<TunnelConfig> {
  const result = profileFileSchema.safeParse(raw);
  if (!result.success) {
    throw new AppError('PROFILE_INVALID', `The profile is not valid:\n  ${describeIssues(result.error.issues, raw).join('\n  ')}`);
  }
  const profile: ProfileFile = result.data;
  const service = hostPort(profile.serviceUrl, ['pulsar+ssl:']);
  const proxy = profile.proxyServiceUrl ? hostPort(profile.proxyServiceUrl, ['pulsar+ssl:']) : undefined;
  // Before any secret is read: refused without consent, or announced with where it goes.
  await checkSecretReads(profile, baseDir, { service, proxy }, options);
  const context: ReferenceContext = { ...runContext(baseDir), unreadableCode: 'PROFILE_INVALID' };
  const readCertificates = async (field: 'tlsTrustCertsFilePath' | 'tlsCertificateFilePath') => {
    const value = profile[field];
    return value ? (await readCertificateFile(value, context, field)).pem : undefined;
  };
  const keyFile = profile.tlsKeyFilePath;
  // Read at the same time; with more than one refusal, the first field's is reported, whichever
  // came first (the same message on every run).
  const [caPem, certPem, keyPem] = await allInOrder([
    readCertificates('tlsTrustCertsFilePath'),
    readCertificates('tlsCertificateFilePath'),
    keyFile ? readReferencedFile(keyFile, context, 'tlsKeyFilePath') : undefined,
  ] as const);
  let auth: AuthConfig = { kind: 'none' };
  if (profile.authPlugin === authPlugins.token) auth = { kind: 'token', getToken: await resolveTokenSource(profile.authParams ?? '', baseDir, options.env) };
  else if (profile.authPlugin === authPlugins.tls) auth = { kind: 'tls' };
  return {
    name: profile.name,
    service,
    proxy,
    web: profile.webServiceUrl ? hostPort(profile.webServiceUrl, ['https:']) : undefined,
    listen: {
      host: profile.listen?.host ?? profileDefaults.listenHost,
      port: profile.listen?.port ?? profileDefaults.listenPort,
      webPort: profile.listen?.webPort,
    },
    tls: {
      caPem,
      certPem,
      keyPem,
      verifyHostname: profile.tlsHostnameVerificationEnable ?? true,
      allowInsecure: profile.tlsAllowInsecureConnection ?? false,
    },
    auth,
    pulsarProtocol: profile.pulsarProtocol ?? 'inspect',
    keepAliveIntervalSeconds: profile.keepAliveIntervalSeconds ?? profileDefaults.keepAliveIntervalSeconds,
    connectionTimeoutMs: profile.connectionTimeoutMs ?? profileDefaults.connectionTimeoutMs,
  };
}

/**
 * Reads and resolves a profile file.
 * @throws AppError PROFILE_UNREADABLE, PROFILE_INVALID, PROFILE_SECRET_UNAVAILABLE, PROFILE_SECRETS_NOT_CONFIRMED
 */
export async function loadProfileFile(file: string, options: ProfileFileOptions = {}): Promise<TunnelConfig> {
  const absolute = path.resolve(file);
  const shown = printable(absolute);
  let text: string;
  try {
    text = await readFileBounded(absolute, { what: `The profile ${shown}`, code: 'PROFILE_INVALID' });
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('PROFILE_UNREADABLE', `Cannot read the profile ${shown}: ${readFailure(error)}.`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new AppError('PROFILE_INVALID', `The profile ${shown} is not valid JSON: ${printable((error as Error).message)}.`, { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new AppError('PROFILE_INVALID', `The profile ${shown} must be one JSON object.`);
  }
  return profileToConfig(raw, path.dirname(absolute), options);
}

/** Like Promise.all, but when several reject, rejects with the first one's reason in the list's order. */
async function allInOrder<T extends readonly unknown[]>(values: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(values);
  const refused = settled.find((outcome) => outcome.status === 'rejected');
  if (refused) throw refused.reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
