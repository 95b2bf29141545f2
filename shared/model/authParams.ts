/**
 * The one reading of Pulsar's AuthenticationToken `authParams`, used by the profile schema, `run`,
 * every import and the UI. It follows Pulsar's AuthenticationToken.configure: `token:<jwt>`,
 * `file:<uri>` (`file:///abs/path`, `file:/abs/path` and `file://localhost/abs/path` name the same absolute file, percent
 * escapes decoded as a URI), the JSON form `{"token":"<jwt>"}` (taken literally), and anything else
 * is the token itself. Two additions of pulsar-tunnel: `env:<VARIABLE>`, and a relative file
 * (`file://token.txt`, `file:token.txt`) that resolves against the folder of the file naming it.
 * Pure: says what the value means; reading the file or variable is the caller's job.
 */

/** Where a token comes from. */
export type TokenSpec =
  | { kind: 'inline'; token: string }
  | { kind: 'env'; variable: string }
  /** `path` is absolute when `absolute`, else relative to the folder of the file that names it. */
  | { kind: 'file'; path: string; absolute: boolean };

/** The forms, for messages. */
export const tokenAuthParamsForms = 'token:<jwt>, file:///abs/path (or file:/abs/path, file://localhost/abs/path), file://relative/path, env:<VARIABLE>, or the token itself';

const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a token's text: one non-empty JWT-like word. Returns a reason, or undefined when usable. */
export function tokenProblem(token: string): string | undefined {
  if (token === '') return 'the token is empty';
  if (/\s/.test(token)) return 'the token contains spaces or line breaks; it must be one JWT';
  return undefined;
}

// The part after `file:` or `file://`: `/abs` is absolute, anything else relative; percent escapes
// are decoded, as in a URI.
function filePath(rest: string): { path: string; absolute: boolean } | string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return `"file:${rest}" has a malformed %-escape`;
  }
  if (decoded === '' || decoded === '/') return 'file: names no file';
  // file:///C:/dir/token on Windows: drop the slash before the drive letter.
  if (/^\/[A-Za-z]:[\\/]/.test(decoded)) return { path: decoded.slice(1), absolute: true };
  return { path: decoded, absolute: decoded.startsWith('/') };
}

/**
 * Reads a `file:` reference: `file:///abs`, `file:/abs` and `file://localhost/abs` are one absolute
 * path (a URI; RFC 8089 names this computer `localhost` or nothing); `file://rel` and `file:rel`
 * are relative to the folder of the file naming them.
 */
export function parseFileReference(value: string): { path: string; absolute: boolean } | string {
  if (/^file:\/\/localhost\//i.test(value)) return filePath(value.slice('file://localhost'.length));
  const rest = value.startsWith('file://') ? value.slice('file://'.length) : value.slice('file:'.length);
  return filePath(rest);
}

/**
 * Reads `authParams` of AuthenticationToken.
 * @returns what it names, or a sentence saying why it is not usable (for `<field>: <sentence>`).
 */
export function parseTokenAuthParams(authParams: string): TokenSpec | string {
  const spec = authParams.trim();
  if (spec === '') return `is empty; use ${tokenAuthParamsForms}`;
  if (spec.startsWith('token:')) {
    const token = spec.slice('token:'.length).trim();
    return tokenProblem(token) ?? { kind: 'inline', token };
  }
  if (spec.startsWith('env:')) {
    const variable = spec.slice('env:'.length);
    return variableName.test(variable) ? { kind: 'env', variable } : `"${spec}" does not name an environment variable (letters, digits and _)`;
  }
  if (spec.startsWith('file:')) {
    const parsed = parseFileReference(spec);
    return typeof parsed === 'string' ? parsed : { kind: 'file', ...parsed };
  }
  if (spec.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(spec);
    } catch {
      return 'looks like JSON but does not parse';
    }
    const token = (parsed as { token?: unknown } | null)?.token;
    if (typeof token !== 'string') return 'the JSON form needs a "token" string';
    return tokenProblem(token.trim()) ?? { kind: 'inline', token: token.trim() };
  }
  return tokenProblem(spec) ?? { kind: 'inline', token: spec };
}
