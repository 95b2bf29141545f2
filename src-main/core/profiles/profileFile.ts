/**
 * Loads a profile FILE (format version 1, see README "Profile file") into the TunnelConfig the
 * engine runs: validates it with the shared schema, reads every file it names (relative paths
 * resolve against the profile's folder) and resolves `authParams`. Every failure is an AppError
 * whose message names the field or the file.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import { authPlugins, describeIssues, parseServiceUrl, profileFileSchema, type HostPort, type ProfileFile } from '../../../shared/model/profile.ts';
import type { AuthConfig, TunnelConfig } from '../tunnel/config.ts';

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

async function readField(field: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new AppError('PROFILE_INVALID', `${field}: cannot read ${file} (${code})`, { cause: error });
  }
}

function tokenFile(spec: string, baseDir: string): string {
  // file:///abs/path (Pulsar's form) or file://relative/to/profile
  const rest = spec.slice('file://'.length);
  return path.resolve(baseDir, rest);
}

/**
 * Resolves `authParams` of a token profile into a token source.
 * @throws AppError PROFILE_SECRET_UNAVAILABLE naming the variable or file when it cannot be read now.
 */
export async function resolveTokenSource(authParams: string, baseDir: string): Promise<() => Promise<string>> {
  if (authParams.startsWith('token:')) {
    const token = authParams.slice('token:'.length).trim();
    if (!token) throw new AppError('PROFILE_INVALID', 'authParams: token: is empty');
    return async () => token;
  }
  if (authParams.startsWith('env:')) {
    const name = authParams.slice('env:'.length);
    const value = process.env[name]?.trim();
    if (!value) throw new AppError('PROFILE_SECRET_UNAVAILABLE', `authParams: environment variable ${name} is not set (or empty); export it before starting the tunnel.`);
    return async () => value;
  }
  if (authParams.startsWith('file:')) {
    const file = tokenFile(authParams, baseDir);
    const readToken = async () => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new AppError('PROFILE_SECRET_UNAVAILABLE', `authParams: cannot read the token file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, { cause: error });
      }
      const token = text.trim();
      if (!token) throw new AppError('PROFILE_SECRET_UNAVAILABLE', `authParams: the token file ${file} is empty.`);
      return token;
    };
    // Read now so a bad path fails at start; read again on every use so a refreshed file is picked up.
    let last = await readToken();
    return async () => {
      try {
        last = await readToken();
      } catch {
        // Keep the last good token if the file is briefly missing while being replaced.
      }
      return last;
    };
  }
  throw new AppError('PROFILE_INVALID', 'authParams: must be token:<jwt>, file://<path> or env:<VARIABLE>');
}

/**
 * Validates a parsed profile object and turns it into a TunnelConfig.
 * @param baseDir folder that relative paths resolve against
 * @throws AppError PROFILE_INVALID (names the field), PROFILE_SECRET_UNAVAILABLE
 */
export async function profileToConfig(raw: unknown, baseDir: string): Promise<TunnelConfig> {
  const result = profileFileSchema.safeParse(raw);
  if (!result.success) {
    throw new AppError('PROFILE_INVALID', `The profile is not valid:\n  ${describeIssues(result.error.issues).join('\n  ')}`);
  }
  const profile: ProfileFile = result.data;
  const file = (p: string) => path.resolve(baseDir, p);
  const [caPem, certPem, keyPem] = await Promise.all([
    profile.tlsTrustCertsFilePath ? readField('tlsTrustCertsFilePath', file(profile.tlsTrustCertsFilePath)) : undefined,
    profile.tlsCertificateFilePath ? readField('tlsCertificateFilePath', file(profile.tlsCertificateFilePath)) : undefined,
    profile.tlsKeyFilePath ? readField('tlsKeyFilePath', file(profile.tlsKeyFilePath)) : undefined,
  ]);
  let auth: AuthConfig = { kind: 'none' };
  if (profile.authPlugin === authPlugins.token) auth = { kind: 'token', getToken: await resolveTokenSource(profile.authParams ?? '', baseDir) };
  else if (profile.authPlugin === authPlugins.tls) auth = { kind: 'tls' };
  return {
    name: profile.name,
    service: hostPort(profile.serviceUrl, ['pulsar+ssl:']),
    proxy: profile.proxyServiceUrl ? hostPort(profile.proxyServiceUrl, ['pulsar+ssl:']) : undefined,
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
 * @throws AppError PROFILE_UNREADABLE, PROFILE_INVALID, PROFILE_SECRET_UNAVAILABLE
 */
export async function loadProfileFile(file: string): Promise<TunnelConfig> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'error');
    throw new AppError('PROFILE_UNREADABLE', `Cannot read the profile ${absolute}: ${why}.`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new AppError('PROFILE_INVALID', `The profile ${absolute} is not valid JSON: ${(error as Error).message}.`, { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new AppError('PROFILE_INVALID', `The profile ${absolute} must be one JSON object.`);
  }
  return profileToConfig(raw, path.dirname(absolute));
}
