/**
 * The one size limit for imported content, checked by the CLI before it reads a file (and for every
 * file an import names) and by the API for content a UI sends. A profile, a bundle of many profiles
 * with their certificates, or a client.conf stays far below it.
 */
export const maxImportBytes = 5_000_000;

/** The limit in words, for messages. */
export const maxImportText = '5 MB';

/** UTF-8 length of `text` in bytes, without encoding it (shared code has no TextEncoder type). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is one code point of four bytes.
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
