/**
 * Imports cluster metadata JSON as `pulsar-admin clusters get <cluster>` prints it
 * (GET /admin/v2/clusters/{cluster}): the TLS service URLs and the SNI proxy. The cluster's own
 * broker-to-broker credentials and file paths on the broker hosts are not taken over.
 */
import { printable } from '../../../../shared/model/printable.ts';
import { AppError } from '../../../../shared/errors.ts';
import type { StoredProfileInput } from '../../../../shared/model/storedProfile.ts';
import type { ParsedImport } from './clientConf.ts';
import { nameFromFileName } from './clientConf.ts';
import type { ImportContext } from './sources.ts';

/** Keys that mark a JSON object as cluster metadata. */
export const clusterMetadataKeys = ['serviceUrl', 'serviceUrlTls', 'brokerServiceUrl', 'brokerServiceUrlTls', 'proxyServiceUrl', 'proxyProtocol'] as const;

// Fields of ClusterData that describe the cluster's own brokers (their credentials and files on
// their hosts), not how a client reaches it.
const brokerSideKeys = new Set([
  'authenticationPlugin',
  'authenticationParameters',
  'brokerClientTlsEnabled',
  'brokerClientTrustCertsFilePath',
  'brokerClientCertificateFilePath',
  'brokerClientKeyFilePath',
  'brokerClientTlsEnabledWithKeyStore',
  'brokerClientTlsTrustStoreType',
  'brokerClientTlsTrustStore',
  'brokerClientTlsTrustStorePassword',
  'brokerClientTlsKeyStoreType',
  'brokerClientTlsKeyStore',
  'brokerClientTlsKeyStorePassword',
  'brokerClientSslFactoryPlugin',
  'brokerClientSslFactoryPluginParams',
  'peerClusterNames',
  'listenerName',
  'tlsAllowInsecureConnection',
  'tlsHostnameVerificationEnable',
  'tlsTrustCertsFilePath',
  'tlsCertificateFilePath',
  'tlsKeyFilePath',
]);

/**
 * Reads cluster metadata into one profile (no secrets: the cluster metadata holds none for clients).
 * @param name the profile name; default the file's name without extension.
 * @throws AppError IMPORT_INVALID when there is no pulsar+ssl:// broker URL or a field has the wrong type.
 */
export function parseClusterMetadata(data: Record<string, unknown>, context: ImportContext, name?: string): ParsedImport {
  const warnings: string[] = [];
  const text = (key: string): string | undefined => {
    const value = data[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new AppError('IMPORT_INVALID', `${context.fileName}: ${key} must be a string`);
    return value;
  };
  const serviceUrl = text('brokerServiceUrlTls');
  if (serviceUrl === undefined) {
    const plain = text('brokerServiceUrl');
    throw new AppError(
      'IMPORT_INVALID',
      `${context.fileName}: brokerServiceUrlTls is missing${plain ? ` (only the plain ${plain} is given)` : ''}; the tunnel needs the cluster's pulsar+ssl:// URL`,
    );
  }
  const profile: StoredProfileInput = { name: name ?? nameFromFileName(context.fileName), serviceUrl, auth: 'none' };
  const web = text('serviceUrlTls');
  if (web !== undefined) profile.webServiceUrl = web;
  else if (text('serviceUrl') !== undefined) warnings.push(`serviceUrl "${printable(text('serviceUrl') ?? '')}" is plain HTTP and was left out; the web listener forwards to serviceUrlTls.`);
  const proxy = text('proxyServiceUrl');
  if (proxy !== undefined) profile.proxyServiceUrl = proxy;
  const protocol = text('proxyProtocol');
  if (protocol !== undefined) {
    if (protocol !== 'SNI') throw new AppError('IMPORT_INVALID', `${context.fileName}: proxyProtocol must be SNI, not "${printable(protocol)}"`);
    profile.proxyProtocol = 'SNI';
  }
  const ignored = Object.keys(data).filter((key) => brokerSideKeys.has(key) && data[key] !== undefined && data[key] !== null && data[key] !== '' && data[key] !== false);
  if (ignored.length > 0) {
    warnings.push(`Broker-side settings were not imported (${ignored.join(', ')}): they are the brokers' own credentials and files on the broker hosts.`);
  }
  const unknown = Object.keys(data).filter((key) => !brokerSideKeys.has(key) && !(clusterMetadataKeys as readonly string[]).includes(key));
  if (unknown.length > 0) warnings.push(`Unknown cluster metadata fields were ignored: ${printable(unknown.join(', '))}.`);
  warnings.push('Cluster metadata carries no CA certificate or client credentials: unless the system CAs trust the brokers, import again with --replace --trust-certs <ca.pem> (and --token-file or --cert/--key), or set them in the app.');
  return { items: [{ profile, secrets: {}, source: context.fileName }], warnings };
}
