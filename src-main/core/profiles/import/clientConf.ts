/**
 * Imports a Pulsar `client.conf` (the file pulsar-client, pulsar-admin and pulsar-perf read):
 * service URLs, proxy settings, TLS files and token or TLS authentication. The files it names are
 * read now. Key stores (JKS/PKCS#12) are refused with the commands that convert them to PEM.
 */
import { printable } from '../../../../shared/model/printable.ts';
import { AppError } from '../../../../shared/errors.ts';
import { authPlugins } from '../../../../shared/model/profile.ts';
import type { StoredProfileInput } from '../../../../shared/model/storedProfile.ts';
import type { ProfileWithSecrets, Secrets } from '../store.ts';
import { parseProperties } from './properties.ts';
import { importDestination, readImportCertificates, readImportKey, tlsFilesFromAuthParams, tokenFromAuthParams, type ImportContext } from './sources.ts';

/** What an importer returns: the profiles and what the user should know. */
export interface ParsedImport {
  items: ProfileWithSecrets[];
  warnings: string[];
}

// Pulsar client settings that have no meaning for the tunnel (it speaks TLS itself and the local
// tools get their own client.conf): accepted with a warning that they are ignored.
const ignoredKeys = new Set([
  'useTls',
  'tlsProtocols',
  'tlsCiphers',
  'webserviceTlsProvider',
  'sslProvider',
  'operationTimeoutMs',
  'lookupTimeoutMs',
  'numIoThreads',
  'numListenerThreads',
  'connectionsPerBroker',
  'memoryLimitBytes',
  'statsIntervalSeconds',
  'maxLookupRequest',
  'maxLookupRedirects',
  'maxNumberOfRejectedRequestPerConnection',
  'concurrentLookupRequest',
  'keepAliveIntervalSeconds',
  'connectionMaxIdleSeconds',
  'listenerName',
  'tlsTrustStoreType',
  'tlsKeyStoreType',
  'tlsCertRefreshCheckDurationSec',
  'enableTransaction',
  'socks5ProxyAddress',
  'socks5ProxyUsername',
  'initialBackoffIntervalNanos',
  'maxBackoffIntervalNanos',
  'requestTimeoutMs',
  'readTimeoutMs',
  'autoCertRefreshSeconds',
  'serviceUrl',
]);

const keyStoreKeys = ['tlsTrustStorePath', 'tlsTrustStorePassword', 'tlsKeyStorePath', 'tlsKeyStorePassword', 'socks5ProxyPassword'];
const handledKeys = new Set([
  'webServiceUrl',
  'brokerServiceUrl',
  'authPlugin',
  'authParams',
  'tlsAllowInsecureConnection',
  'tlsEnableHostnameVerification',
  'tlsHostnameVerificationEnable',
  'tlsTrustCertsFilePath',
  'tlsCertificateFilePath',
  'tlsKeyFilePath',
  'useKeyStoreTls',
  'proxyServiceUrl',
  'proxyProtocol',
  'connectionTimeoutMs',
  ...keyStoreKeys,
]);

function bool(value: string, key: string, line: number): boolean {
  const normalized = value.trim().toLowerCase();
  if (normalized === 'true') return true;
  if (normalized === 'false') return false;
  throw new AppError('IMPORT_INVALID', `${key} (line ${line}): must be true or false, not "${printable(value)}"`);
}

/** Turns a name from a file name into a valid profile name ("client.conf" → "client"). */
export function nameFromFileName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? 'imported';
  const stem = base.replace(/\.(conf|properties|json)$/i, '');
  const cleaned = stem.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return cleaned === '' ? 'imported' : cleaned;
}

/**
 * Reads a client.conf into one profile.
 * @param name the profile name; default the file's name without extension.
 * @throws AppError IMPORT_INVALID naming the key (and line) for every kind of bad input:
 *   a non-TLS broker URL, an unsupported auth plugin, key-store settings, unreadable files, unknown keys.
 */
export async function parseClientConf(text: string, fileContext: ImportContext, name?: string): Promise<ParsedImport> {
  let context = fileContext;
  const properties = parseProperties(text);
  if (properties.length === 0) throw new AppError('IMPORT_INVALID', `${context.fileName}: no properties found; a client.conf has lines like brokerServiceUrl=pulsar+ssl://host:6651`);
  const values = new Map(properties.map((property) => [property.key, property]));
  const warnings: string[] = [];
  const at = (key: string) => `${key} (line ${values.get(key)?.line ?? '?'})`;
  const get = (key: string) => {
    const value = values.get(key)?.value.trim();
    return value === '' ? undefined : value;
  };

  const unknown = properties.filter((property) => !handledKeys.has(property.key) && !ignoredKeys.has(property.key));
  if (unknown.length > 0) {
    throw new AppError('IMPORT_INVALID', `${context.fileName}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((property) => `"${printable(property.key)}" (line ${property.line})`).join(', ')}; is this a Pulsar client.conf?`);
  }
  for (const property of properties) {
    if (ignoredKeys.has(property.key) && property.value.trim() !== '') warnings.push(`${at(property.key)} is ignored: the tunnel does not use it.`);
  }
  const keyStoreUsed = (get('useKeyStoreTls') !== undefined && bool(get('useKeyStoreTls') as string, at('useKeyStoreTls'), values.get('useKeyStoreTls')!.line)) || keyStoreKeys.slice(0, 4).some((key) => get(key) !== undefined);
  if (keyStoreUsed) {
    throw new AppError(
      'IMPORT_INVALID',
      `${context.fileName}: key stores (useKeyStoreTls, tlsTrustStorePath, tlsKeyStorePath) are not supported; convert them to PEM files and use tlsTrustCertsFilePath, tlsCertificateFilePath and tlsKeyFilePath instead, e.g. ` +
        '`keytool -importkeystore -srckeystore ks.jks -destkeystore ks.p12 -deststoretype PKCS12`, then `openssl pkcs12 -in ks.p12 -nokeys -out cert.pem` and `openssl pkcs12 -in ks.p12 -nocerts -nodes -out key.pem`.',
    );
  }

  const serviceUrl = get('brokerServiceUrl');
  if (serviceUrl === undefined) throw new AppError('IMPORT_INVALID', `${context.fileName}: brokerServiceUrl is required (pulsar+ssl://host:6651)`);
  if (serviceUrl.startsWith('pulsar://')) throw new AppError('IMPORT_INVALID', `${at('brokerServiceUrl')}: "${printable(serviceUrl)}" is plain TCP; the tunnel connects with TLS, so use the cluster's pulsar+ssl:// URL`);

  const profile: StoredProfileInput = { name: name ?? nameFromFileName(context.fileName), serviceUrl };
  const secrets: Secrets = {};
  const web = get('webServiceUrl');
  if (web !== undefined) {
    if (web.startsWith('http://')) warnings.push(`${at('webServiceUrl')}: "${printable(web)}" is plain HTTP and was left out; the web listener forwards to an https:// URL.`);
    else profile.webServiceUrl = web;
  }
  const proxy = get('proxyServiceUrl');
  if (proxy !== undefined) profile.proxyServiceUrl = proxy;
  context = { ...context, sentTo: importDestination(serviceUrl, proxy) };
  const proxyProtocol = get('proxyProtocol');
  if (proxyProtocol !== undefined) {
    if (proxyProtocol !== 'SNI') throw new AppError('IMPORT_INVALID', `${at('proxyProtocol')}: only SNI is supported, not "${printable(proxyProtocol)}"`);
    profile.proxyProtocol = 'SNI';
  }
  if (proxyProtocol !== undefined && proxy === undefined) warnings.push(`${at('proxyProtocol')} is set without proxyServiceUrl; connections go straight to the brokers.`);
  const insecure = get('tlsAllowInsecureConnection');
  if (insecure !== undefined) profile.tlsAllowInsecureConnection = bool(insecure, 'tlsAllowInsecureConnection', values.get('tlsAllowInsecureConnection')!.line);
  const verifyKey = get('tlsEnableHostnameVerification') !== undefined ? 'tlsEnableHostnameVerification' : 'tlsHostnameVerificationEnable';
  const verify = get(verifyKey);
  if (verify !== undefined) profile.tlsHostnameVerificationEnable = bool(verify, verifyKey, values.get(verifyKey)!.line);
  const timeout = get('connectionTimeoutMs');
  if (timeout !== undefined) {
    if (!/^\d+$/.test(timeout)) throw new AppError('IMPORT_INVALID', `${at('connectionTimeoutMs')}: must be a whole number of milliseconds`);
    profile.connectionTimeoutMs = Number(timeout);
  }
  const trust = get('tlsTrustCertsFilePath');
  if (trust !== undefined) profile.tlsTrustCertsPem = await readImportCertificates(trust, context, at('tlsTrustCertsFilePath'));

  let certFile = get('tlsCertificateFilePath');
  let keyFile = get('tlsKeyFilePath');
  const plugin = get('authPlugin');
  const params = get('authParams') ?? '';
  if (plugin === undefined || plugin === '') {
    profile.auth = 'none';
    if (params !== '') warnings.push(`${at('authParams')} is ignored because authPlugin is not set.`);
  } else if (plugin === authPlugins.token || plugin === 'org.apache.pulsar.client.impl.auth.AuthenticationToken$') {
    profile.auth = 'token';
    if (params === '') throw new AppError('IMPORT_INVALID', `${at('authParams')}: AuthenticationToken needs authParams (token:<jwt>, file://<path> or env:<VARIABLE>)`);
    secrets.token = await tokenFromAuthParams(params, context, at('authParams'));
  } else if (plugin === authPlugins.tls) {
    profile.auth = 'tls';
    const files = tlsFilesFromAuthParams(params, at('authParams'));
    certFile = files.certFile ?? certFile;
    keyFile = files.keyFile ?? keyFile;
    if (certFile === undefined || keyFile === undefined) throw new AppError('IMPORT_INVALID', `${at('authParams')}: AuthenticationTls needs tlsCertFile and tlsKeyFile (or tlsCertificateFilePath and tlsKeyFilePath)`);
  } else {
    throw new AppError('IMPORT_INVALID', `${at('authPlugin')}: "${printable(plugin)}" is not supported; the tunnel can use ${authPlugins.token} or ${authPlugins.tls}`);
  }
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new AppError('IMPORT_INVALID', `${context.fileName}: ${certFile === undefined ? 'tlsCertificateFilePath' : 'tlsKeyFilePath'} is required when ${certFile === undefined ? 'tlsKeyFilePath' : 'tlsCertificateFilePath'} is set`);
  }
  if (certFile !== undefined && keyFile !== undefined) {
    profile.tlsCertificatePem = await readImportCertificates(certFile, context, 'tlsCertificateFilePath');
    secrets.clientKey = await readImportKey(keyFile, context, 'tlsKeyFilePath');
  }
  return { items: [{ profile, secrets, source: context.fileName }], warnings };
}
