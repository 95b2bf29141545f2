/**
 * Imports our own profile file (format version 1): validated with the shared schema, and every
 * file and credential it names is read now, so the stored profile no longer depends on them.
 */
import { AppError } from '../../../../shared/errors.ts';
import { authPlugins, describeIssues, profileFileSchema } from '../../../../shared/model/profile.ts';
import type { StoredProfileInput } from '../../../../shared/model/storedProfile.ts';
import type { Secrets } from '../store.ts';
import type { ParsedImport } from './clientConf.ts';
import { importDestination, readImportCertificates, readImportKey, tokenFromAuthParams, tokenOrigin, type ImportContext } from './sources.ts';

/**
 * Reads a profile file object into a stored profile and its secrets.
 * @param name overrides the file's `name`.
 * @throws AppError IMPORT_INVALID naming the field (schema problems, unreadable files, unset variables).
 */
export async function parseProfileFile(data: Record<string, unknown>, fileContext: ImportContext, name?: string): Promise<ParsedImport> {
  let context = fileContext;
  const result = profileFileSchema.safeParse(name === undefined ? data : { ...data, name });
  if (!result.success) throw new AppError('IMPORT_INVALID', `${context.fileName}: ${describeIssues(result.error.issues, name === undefined ? data : { ...data, name }).join('; ')}`);
  const file = result.data;
  context = { ...context, sentTo: importDestination(file.serviceUrl, file.proxyServiceUrl) };
  const warnings: string[] = [];
  const secrets: Secrets = {};
  const profile: StoredProfileInput = {
    name: file.name,
    serviceUrl: file.serviceUrl,
    ...(file.proxyServiceUrl !== undefined ? { proxyServiceUrl: file.proxyServiceUrl } : {}),
    ...(file.proxyProtocol !== undefined ? { proxyProtocol: file.proxyProtocol } : {}),
    ...(file.webServiceUrl !== undefined ? { webServiceUrl: file.webServiceUrl } : {}),
    ...(file.tlsHostnameVerificationEnable !== undefined ? { tlsHostnameVerificationEnable: file.tlsHostnameVerificationEnable } : {}),
    ...(file.tlsAllowInsecureConnection !== undefined ? { tlsAllowInsecureConnection: file.tlsAllowInsecureConnection } : {}),
    ...(file.listen !== undefined ? { listen: file.listen } : {}),
    ...(file.pulsarProtocol !== undefined ? { pulsarProtocol: file.pulsarProtocol } : {}),
    ...(file.keepAliveIntervalSeconds !== undefined ? { keepAliveIntervalSeconds: file.keepAliveIntervalSeconds } : {}),
    ...(file.connectionTimeoutMs !== undefined ? { connectionTimeoutMs: file.connectionTimeoutMs } : {}),
    auth: file.authPlugin === authPlugins.token ? 'token' : file.authPlugin === authPlugins.tls ? 'tls' : 'none',
  };
  if (file.tlsTrustCertsFilePath !== undefined) profile.tlsTrustCertsPem = await readImportCertificates(file.tlsTrustCertsFilePath, context, 'tlsTrustCertsFilePath');
  if (file.tlsCertificateFilePath !== undefined && file.tlsKeyFilePath !== undefined) {
    profile.tlsCertificatePem = await readImportCertificates(file.tlsCertificateFilePath, context, 'tlsCertificateFilePath');
    secrets.clientKey = await readImportKey(file.tlsKeyFilePath, context, 'tlsKeyFilePath');
  }
  if (file.authPlugin === authPlugins.token && file.authParams !== undefined) {
    secrets.token = await tokenFromAuthParams(file.authParams, context, 'authParams');
    // Never the authParams text itself: a bare token is the secret.
    const origin = tokenOrigin(file.authParams, context);
    if (origin !== undefined && context.secretReads?.allowed !== false) {
      warnings.push(`authParams: the token was read from ${origin} now and stored in the OS keychain; later changes to that source are not picked up (import again after a change).`);
    }
  } else if (file.authParams !== undefined && file.authParams !== '') {
    warnings.push('authParams is ignored: it only has a meaning with authPlugin AuthenticationToken.');
  }
  return { items: [{ profile, secrets, source: context.fileName }], warnings };
}
