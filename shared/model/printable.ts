/**
 * Text from outside the program (a client's version string, topic or subscription, an HTTP path, a
 * broker's answer, an imported profile's fields) made safe to print on a terminal or in a
 * line-per-entry log: control characters (C0, DEL and C1, which holds the one-byte CSI), line and
 * paragraph separators and bidirectional overrides are written as escapes, so a newline cannot
 * forge a log line and an ANSI sequence cannot repaint the terminal or retitle its window.
 * Messages escape what they quote from input where they are built (a key name, a value, a file
 * name), so a message's own line breaks are the only ones left and printableLines can keep them.
 */

/** Escapes every character that can break a line or drive a terminal. */
export function printable(text: string): string {
  let result = '';
  for (const character of text) {
    const code = character.codePointAt(0)!;
    if (code === 0x0a) result += '\\n';
    else if (code === 0x0d) result += '\\r';
    else if (code === 0x09) result += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) result += `\\x${code.toString(16).padStart(2, '0')}`;
    // U+2028/2029 end a line in some viewers; U+202A-202E and U+2066-2069 reorder what is shown.
    else if (code === 0x2028 || code === 0x2029 || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) result += `\\u${code.toString(16)}`;
    else result += character;
  }
  return result;
}

/** {@link printable} for text of several lines: each line is escaped, the line breaks are kept. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
