/**
 * A reader for Java `.properties` files (the format of Pulsar's client.conf), following
 * java.util.Properties.load: `#`/`!` comments, `=`, `:` or whitespace separators, backslash line
 * continuation, and the escapes \t \n \r \f \uXXXX.
 */
import { AppError } from '../../../../shared/errors.ts';

/** One property with the line it started on. */
export interface Property {
  key: string;
  value: string;
  line: number;
}

function unescape(text: string, line: number): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = text[++i];
    if (next === undefined) break;
    if (next === 't') out += '\t';
    else if (next === 'n') out += '\n';
    else if (next === 'r') out += '\r';
    else if (next === 'f') out += '\f';
    else if (next === 'u') {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new AppError('IMPORT_INVALID', `line ${line}: malformed \\u escape "\\u${hex}"`);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else out += next;
  }
  return out;
}

/**
 * Parses properties text. A key given twice keeps its last value, as Java does.
 * @throws AppError IMPORT_INVALID for a malformed \u escape or binary content.
 */
export function parseProperties(text: string): Property[] {
  if (text.includes(String.fromCharCode(0))) throw new AppError('IMPORT_INVALID', 'The file is binary, not a properties file.');
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const result = new Map<string, Property>();
  for (let index = 0; index < physical.length; index++) {
    const startLine = index + 1;
    let logical = (physical[index] as string).replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    // A line ending in an odd number of backslashes continues on the next line.
    while (/(^|[^\\])(\\\\)*\\$/.test(logical) && index + 1 < physical.length) {
      logical = logical.slice(0, -1) + (physical[++index] as string).replace(/^[ \t\f]+/, '');
    }
    let keyEnd = 0;
    while (keyEnd < logical.length) {
      const char = logical[keyEnd];
      if (char === '\\') {
        keyEnd += 2;
        continue;
      }
      if (char === '=' || char === ':' || char === ' ' || char === '\t' || char === '\f') break;
      keyEnd++;
    }
    const rawKey = logical.slice(0, keyEnd);
    let rest = logical.slice(keyEnd).replace(/^[ \t\f]+/, '');
    if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^[ \t\f]+/, '');
    const key = unescape(rawKey, startLine);
    result.set(key, { key, value: unescape(rest, startLine), line: startLine });
  }
  return [...result.values()];
}

function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/^ /, '\\ ');
}

/** Writes properties text (keys are plain identifiers here), one `key=value` per line. */
export function formatProperties(entries: [string, string][], header?: string): string {
  const lines = header ? header.split('\n').map((line) => `# ${line}`) : [];
  for (const [key, value] of entries) lines.push(`${key}=${escapeValue(value)}`);
  return `${lines.join('\n')}\n`;
}
