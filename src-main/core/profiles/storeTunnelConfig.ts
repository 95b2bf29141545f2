/**
 * The engine's configuration for a stored profile: certificates from the profile, the client key
 * and its passphrase from the keychain now, the token from the keychain on every use.
 */
import { AppError } from '../../../shared/errors.ts';
import { parseServiceUrl, type HostPort } from '../../../shared/model/profile.ts';
import { describeKind } from '../secrets/keychain.ts';
import type { AuthConfig, TunnelConfig } from '../config/tunnelConfig.ts';
import type { SecretAccess } from './storeSecretAccess.ts';
import type { StoredEntry } from './storeRecords.ts';

function hostPort(value: string, schemes: string[], field: string): HostPort {
  const parsed = parseServiceUrl(value, schemes);
  if (typeof parsed === 'string') throw new AppError('PROFILE_INVALID', `${field}: ${parsed}`);
  return parsed;
}

/**
 * The engine's configuration for `entry`.
 * @throws AppError PROFILE_INVALID, KEYCHAIN_ITEM_MISSING (a secret the profile needs is not in the
 *   keychain), KEYCHAIN_LOCKED, KEYCHAIN_UNAVAILABLE.
 */
export async function engineConfig(entry: Pick<StoredEntry, 'profile' | 'secrets'>, secretAccess: Pick<SecretAccess, 'require' | 'checkKeychain'>): Promise<TunnelConfig> {
  const { profile, secrets } = entry;
  const name = profile.name;
  let keyPem: string | undefined;
  let keyPassphrase: string | undefined;
  if (profile.tlsCertificatePem !== undefined) {
    if (!secrets.clientKey) {
      // A key never stored because the keychain was unreachable: say that, not "missing".
      await secretAccess.checkKeychain();
      throw new AppError('KEYCHAIN_ITEM_MISSING', `Profile "${name}" has a client certificate but its ${describeKind('clientKey')} is not in the OS keychain; import the key again.`);
    }
    keyPem = await secretAccess.require(name, 'clientKey');
    if (secrets.keyPassphrase) keyPassphrase = await secretAccess.require(name, 'keyPassphrase');
  }
  let auth: AuthConfig = { kind: 'none' };
  if (profile.auth === 'token') {
    if (!secrets.token) {
      await secretAccess.checkKeychain();
      throw new AppError('KEYCHAIN_ITEM_MISSING', `Profile "${name}" uses token authentication but has no token in the OS keychain; set it (import the profile again or enter it in the app).`);
    }
    // Fail now, before any listener opens, if the token is already gone or the keychain locked.
    await secretAccess.require(name, 'token');
    auth = { kind: 'token', getToken: () => secretAccess.require(name, 'token') };
  } else if (profile.auth === 'tls') {
    auth = { kind: 'tls' };
  }
  return {
    name: profile.name,
    service: hostPort(profile.serviceUrl, ['pulsar+ssl:'], 'serviceUrl'),
    proxy: profile.proxyServiceUrl === undefined ? undefined : hostPort(profile.proxyServiceUrl, ['pulsar+ssl:'], 'proxyServiceUrl'),
    web: profile.webServiceUrl === undefined ? undefined : hostPort(profile.webServiceUrl, ['https:'], 'webServiceUrl'),
    listen: { host: profile.listen.host ?? '127.0.0.1', port: profile.listen.port ?? 6650, ...(profile.listen.webPort === undefined ? {} : { webPort: profile.listen.webPort }) },
    tls: {
      caPem: profile.tlsTrustCertsPem,
      certPem: profile.tlsCertificatePem,
      keyPem,
      keyPassphrase,
      verifyHostname: profile.tlsHostnameVerificationEnable,
      allowInsecure: profile.tlsAllowInsecureConnection,
    },
    auth,
    pulsarProtocol: profile.pulsarProtocol,
    keepAliveIntervalSeconds: profile.keepAliveIntervalSeconds,
    connectionTimeoutMs: profile.connectionTimeoutMs,
  };
}
