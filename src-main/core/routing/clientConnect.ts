/**
 * Client → broker: the start of a local connection. A stream that is not Pulsar is explained (a TLS
 * ClientHello, an HTTP request), and the client's CONNECT picks the broker (proxy_to_broker_url,
 * which a broker would not understand, is used and stripped) and gets the profile's credential when
 * the client sent none. Injecting the token also sets supports_auth_refresh, so the broker challenges
 * instead of closing the connection when the token expires (the session answers the challenge).
 */
import { AppError } from '../../../shared/errors.ts';
import type { ConnectInfo, ConnectRewrite } from '../pulsar/commands.ts';
import { DEFAULT_MAX_FRAME_SIZE } from '../pulsar/frameReader.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';
import type { BrokerRegistry } from './brokerRegistry.ts';

/** At most this many characters of what a foreign client sent are quoted in the error. */
const quotedBytes = 24;

/**
 * Starts of streams that are not Pulsar, to explain instead of failing on a silly frame size: a
 * TLS ClientHello, or a first frame size no Pulsar client sends (a CONNECT is a few hundred bytes,
 * and four printable ASCII characters, as in an HTTP request line, read as hundreds of megabytes).
 */
export function foreignProtocol(chunk: Buffer, webPort: number | undefined): AppError | undefined {
  if (chunk[0] === 0x16 && chunk[1] === 0x03) return new AppError('PULSAR_LOCAL_TLS');
  if (chunk.length < 4 || chunk.readUInt32BE(0) <= DEFAULT_MAX_FRAME_SIZE) return undefined;
  const text = chunk.subarray(0, quotedBytes).toString('latin1');
  const quoted = JSON.stringify(text.replace(/[^\x20-\x7e]/g, '.') + (chunk.length > quotedBytes ? '…' : ''));
  const web = webPort ? `the web port ${webPort}` : 'the web port (listen.webPort)';
  return new AppError('PULSAR_NOT_PULSAR', `This does not look like a Pulsar client (it sent ${quoted}); point a Pulsar client at this port, and HTTP (the admin API) at ${web}.`);
}

/** What {@link planConnect} decides from a client's CONNECT. */
export interface ConnectPlan {
  /** The broker to dial. */
  target: DialTarget;
  /** The changes to make to the CONNECT; undefined to forward it as it is. */
  rewrite?: ConnectRewrite;
  /** The tunnel put the profile's token in (so it answers the broker's refresh challenges). */
  injectedToken: boolean;
  /** The fields of the `pulsar.connect` event. */
  report: { clientVersion: string; protocolVersion: number; authMethod: string; authInjected: boolean; broker: string };
}

/** What {@link planConnect} needs beyond the CONNECT. */
export interface ConnectContext {
  config: TunnelConfig;
  registry: BrokerRegistry;
  /** The broker this listener stands for; undefined on the main port. */
  boundTo?: DialTarget;
  /** The profile's current token, when its auth is a token. */
  token?: string;
}

/**
 * Picks the broker for a CONNECT and the credential to inject.
 * @throws AppError PULSAR_UNKNOWN_BROKER for a proxy_to_broker_url the registry cannot resolve
 */
export function planConnect(connect: ConnectInfo, context: ConnectContext): ConnectPlan {
  const { config, registry, boundTo, token } = context;
  const target = connect.proxyToBrokerUrl ? registry.resolveProxyTarget(connect.proxyToBrokerUrl).target : (boundTo ?? config.service);
  const rewrite: ConnectRewrite = {};
  if (connect.proxyToBrokerUrl !== undefined) rewrite.stripProxyToBrokerUrl = true;
  const clientHasCredential = connect.hasAuthData || (connect.authMethodName !== undefined && connect.authMethodName !== 'none' && connect.authMethodName !== '');
  let authMethod = connect.authMethodName || 'none';
  let injectedToken = false;
  if (!clientHasCredential && config.auth.kind === 'token' && token) {
    rewrite.injectAuth = { methodName: 'token', data: Buffer.from(token) };
    rewrite.enableAuthRefresh = true;
    injectedToken = true;
    authMethod = 'token';
  } else if (!clientHasCredential && config.auth.kind === 'tls') {
    rewrite.injectAuth = { methodName: 'tls', data: Buffer.alloc(0) };
    authMethod = 'tls';
  }
  return {
    target,
    ...(Object.keys(rewrite).length > 0 ? { rewrite } : {}),
    injectedToken,
    report: { clientVersion: connect.clientVersion, protocolVersion: connect.protocolVersion, authMethod, authInjected: rewrite.injectAuth !== undefined, broker: formatHostPort(target) },
  };
}
