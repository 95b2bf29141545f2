/**
 * The web UI's session hand-off (`pulsar-tunnel ui`): the sessionStorage key under which the page
 * keeps the session token. The web host's one-time link stores it there (src-main/host/webHost.ts)
 * and the UI's HTTP API client reads it (src-renderer/lib/api.ts).
 */
export const sessionTokenStorageKey = 'pulsar-tunnel.token';
