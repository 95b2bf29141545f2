/**
 * The Content-Security-Policy of the UI page, one policy for every way it is served: the built
 * page's meta tag (vite.config.ts, which is all a file:// page in Electron gets), the web host's
 * header, and Electron's session header. 'self' covers ws:// to the same host (CSP Level 3), which
 * is how the web host streams the log.
 */
export const contentSecurityPolicyDirectives = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
] as const;

/** The policy for a meta tag (frame-ancestors is ignored there). */
export const contentSecurityPolicy = contentSecurityPolicyDirectives.join('; ');

/** The policy as a response header, which can also forbid framing (clickjacking). */
export const contentSecurityPolicyHeader = [...contentSecurityPolicyDirectives, "frame-ancestors 'none'"].join('; ');
