/**
 * The handshake and authentication commands: the client's CONNECT (read, and rewritten to inject
 * the profile's credential), the broker's CONNECTED, and the broker's AUTH_CHALLENGE (a token
 * refresh). Field numbers of PulsarApi.proto, as docs/pulsar-protocol.md summarises them.
 */
import { CommandType, open, optionalString, replaceSub, required } from './commandEnvelope.ts';
import { encodeFields, lastField, parseFields, readBool, readBytes, readInt32, readString, rewriteFields, type FieldValue } from './wire.ts';

/** What the tunnel needs from a client's CONNECT. */
export interface ConnectInfo {
  clientVersion: string;
  protocolVersion: number;
  authMethodName?: string;
  /** True when auth_data (field 3) is present and not empty. */
  hasAuthData: boolean;
  /** `host:port` the client asks a proxy to reach (field 6). */
  proxyToBrokerUrl?: string;
  /** FeatureFlags.supports_auth_refresh (field 10.1). */
  supportsAuthRefresh: boolean;
}

/**
 * Reads a CONNECT (2).
 * @throws AppError PULSAR_FRAME_INVALID when malformed or not a CONNECT
 */
export function readConnect(command: Buffer): ConnectInfo {
  const { sub, subFields } = open(command, [CommandType.CONNECT], 'CommandConnect');
  const what = 'CommandConnect';
  const clientVersion = readString(sub, required(subFields, 1, what, 'client_version'), what);
  const protocolField = lastField(subFields, 4);
  const authDataField = lastField(subFields, 3);
  const flagsField = lastField(subFields, 10);
  let supportsAuthRefresh = false;
  if (flagsField) {
    const flags = readBytes(sub, flagsField, what);
    const refresh = lastField(parseFields(flags, 'FeatureFlags'), 1);
    supportsAuthRefresh = refresh ? readBool(flags, refresh, 'FeatureFlags') : false;
  }
  const info: ConnectInfo = {
    clientVersion,
    protocolVersion: protocolField ? readInt32(sub, protocolField, what) : 0,
    hasAuthData: authDataField ? readBytes(sub, authDataField, what).length > 0 : false,
    supportsAuthRefresh,
  };
  const authMethodName = optionalString(sub, subFields, 5, what);
  if (authMethodName !== undefined) info.authMethodName = authMethodName;
  const proxyToBrokerUrl = optionalString(sub, subFields, 6, what);
  if (proxyToBrokerUrl !== undefined) info.proxyToBrokerUrl = proxyToBrokerUrl;
  return info;
}

/** Changes {@link rewriteConnect} can make. */
export interface ConnectRewrite {
  /** Remove proxy_to_broker_url (6): a broker is no proxy. */
  stripProxyToBrokerUrl?: boolean;
  /**
   * Set auth_method_name (5) and auth_data (3), replacing what the client sent, and remove the
   * proxy-only original_principal, original_auth_data and original_auth_method (7–9).
   */
  injectAuth?: { methodName: string; data: Buffer };
  /**
   * Set FeatureFlags.supports_auth_refresh (10.1) to true (adding FeatureFlags if absent), for a
   * tunnel that answers the broker's refresh challenge itself with {@link encodeAuthResponse}.
   */
  enableAuthRefresh?: boolean;
}

/**
 * Rewrites a CONNECT (2). Never sets the proxy-only original_* fields (7–9), and removes them when
 * it injects a credential: a broker takes them as the real caller's identity from a connection
 * authenticated as one of its proxyRoles, so beside a profile credential that is such a role they
 * would let any local client act as any role. Keeps every other field byte for byte.
 * @throws AppError PULSAR_FRAME_INVALID when malformed or not a CONNECT
 */
export function rewriteConnect(command: Buffer, opts: ConnectRewrite): Buffer {
  const envelope = open(command, [CommandType.CONNECT], 'CommandConnect');
  const { sub, subFields } = envelope;
  required(subFields, 1, 'CommandConnect', 'client_version');
  const edits = new Map<number, FieldValue>();
  if (opts.stripProxyToBrokerUrl) edits.set(6, null);
  if (opts.injectAuth) {
    edits.set(5, { string: opts.injectAuth.methodName });
    edits.set(3, { bytes: opts.injectAuth.data });
    for (const proxyOnly of [7, 8, 9]) edits.set(proxyOnly, null);
  }
  if (opts.enableAuthRefresh) {
    const refresh: FieldValue = { bool: true };
    const flagsField = lastField(subFields, 10);
    if (flagsField) {
      const flags = readBytes(sub, flagsField, 'CommandConnect');
      edits.set(10, { message: rewriteFields(flags, parseFields(flags, 'FeatureFlags'), new Map([[1, refresh]])) });
    } else {
      edits.set(10, { message: encodeFields([[1, refresh]]) });
    }
  }
  if (edits.size === 0) return command;
  return replaceSub(command, envelope, rewriteFields(sub, subFields, edits));
}

/** What the tunnel needs from a broker's CONNECTED. */
export interface ConnectedInfo {
  serverVersion: string;
  protocolVersion: number;
  /** The broker's maxMessageSize; the frame limit is this + 10,240. */
  maxMessageSize?: number;
}

/**
 * Reads a CONNECTED (3).
 * @throws AppError PULSAR_FRAME_INVALID when malformed or not a CONNECTED
 */
export function readConnected(command: Buffer): ConnectedInfo {
  const what = 'CommandConnected';
  const { sub, subFields } = open(command, [CommandType.CONNECTED], what);
  const protocolField = lastField(subFields, 2);
  const maxField = lastField(subFields, 3);
  const info: ConnectedInfo = {
    serverVersion: readString(sub, required(subFields, 1, what, 'server_version'), what),
    protocolVersion: protocolField ? readInt32(sub, protocolField, what) : 0,
  };
  if (maxField) info.maxMessageSize = readInt32(sub, maxField, what);
  return info;
}

/** The auth-refresh challenge's auth_data: the broker asks for the current credential. */
export const AUTH_REFRESH_CHALLENGE = 'PulsarAuthRefresh';

/**
 * Reads an AUTH_CHALLENGE (36): CommandAuthChallenge 2 challenge = AuthData{1 auth_method_name, 2 auth_data}.
 * `authData` equal to {@link AUTH_REFRESH_CHALLENGE} is the token-refresh challenge.
 * @throws AppError PULSAR_FRAME_INVALID when malformed or of another type
 */
export function readAuthChallenge(command: Buffer): { authMethodName?: string; authData?: Buffer } {
  const what = 'CommandAuthChallenge';
  const { sub, subFields } = open(command, [CommandType.AUTH_CHALLENGE], what);
  const challengeField = lastField(subFields, 2);
  const info: { authMethodName?: string; authData?: Buffer } = {};
  if (!challengeField) return info;
  const challenge = readBytes(sub, challengeField, what);
  const authFields = parseFields(challenge, 'AuthData');
  const name = optionalString(challenge, authFields, 1, 'AuthData');
  if (name !== undefined) info.authMethodName = name;
  const dataField = lastField(authFields, 2);
  if (dataField) info.authData = Buffer.from(readBytes(challenge, dataField, 'AuthData'));
  return info;
}
