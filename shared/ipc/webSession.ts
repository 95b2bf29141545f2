/**
 * The web UI's session (`pulsar-tunnel ui`): the sessionStorage key under which the page keeps the
 * session token, and how the live-log WebSocket carries that token. The web host's one-time link
 * stores the token (src-main/host/webHost.ts) and the UI's HTTP API client reads it
 * (src-renderer/lib/api.ts).
 */
export const sessionTokenStorageKey = 'pulsar-tunnel.token';

/**
 * The live log's WebSocket subprotocol: the one value the web host answers in
 * `Sec-WebSocket-Protocol`. A client offers it next to {@link bearerSubprotocol}.
 */
export const logSubprotocol = 'pulsar-tunnel.log.v1';

/**
 * The start of the subprotocol offer that carries the session token, after the shape Kubernetes'
 * API server accepts (`base64url.bearer.authorization.k8s.io.<token>`, kubernetes/kubernetes#47740):
 * a browser's WebSocket cannot send an Authorization header, but it can offer subprotocols, and a
 * header, unlike the URL, is not written to access logs, history or crash reports.
 */
export const bearerSubprotocolPrefix = 'base64url.bearer.authorization.pulsar-tunnel.';

/**
 * The subprotocol offer carrying `token`: the prefix and the token's UTF-8 bytes in unpadded
 * base64url (RFC 4648 §5), whose characters are all allowed in a subprotocol name (RFC 6455 §4.1
 * asks for an RFC 2616 token), whatever the token holds.
 */
export function bearerSubprotocol(token: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(token)) binary += String.fromCharCode(byte);
  return bearerSubprotocolPrefix + btoa(binary).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * What a client offers in `Sec-WebSocket-Protocol` to open the live log (`GET /api/log`): the log
 * subprotocol, which the host selects, and the token offer, which the host reads and never echoes.
 */
export function logSocketProtocols(token: string): [string, string] {
  return [logSubprotocol, bearerSubprotocol(token)];
}
