/**
 * Reads a file named by a user or by an imported file without trusting its size: the size is
 * checked before reading (fstat), and the read stops one byte past the limit, so a file that grows
 * cannot make the process hold more than the limit. Only regular files are read: the file is opened
 * without blocking (O_NONBLOCK) and refused unless fstat says it is a regular file, so a FIFO with no
 * writer, /dev/stdin or a device cannot hang an import (nor, several at once, fill libuv's threadpool).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { AppError, type ErrorCode } from '../../../shared/errors.ts';
import { maxImportBytes, maxImportText } from '../../../shared/model/importLimit.ts';

/** Options of {@link readFileBounded}. */
export interface BoundedReadOptions {
  /** Largest size accepted, in bytes; default the import limit. */
  limit?: number;
  /** Code of the AppError for a file over the limit; default IMPORT_TOO_LARGE. */
  code?: ErrorCode;
  /** Names the file in the message, e.g. `tlsTrustCertsFilePath (/etc/ca.pem)`. */
  what: string;
}

/**
 * Reads a whole text file of at most `limit` bytes.
 * @throws AppError `code` (IMPORT_TOO_LARGE) when larger; FILE_NOT_REGULAR for a FIFO, device or socket;
 *   the fs error (with its `code`) when it cannot be read.
 */
export async function readFileBounded(file: string, options: BoundedReadOptions): Promise<string> {
  const limit = options.limit ?? maxImportBytes;
  const tooLarge = (size: string) =>
    new AppError(options.code ?? 'IMPORT_TOO_LARGE', `${options.what} is ${size}, over the ${limit === maxImportBytes ? maxImportText : `${limit}-byte`} limit for profiles and imported files; is it the right file?`);
  // O_NONBLOCK: opening a FIFO that has no writer returns at once instead of waiting for one.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error(`EISDIR: ${file}`), { code: 'EISDIR' });
    if (!stat.isFile()) {
      throw new AppError('FILE_NOT_REGULAR', `${options.what} is not a regular file (${stat.isFIFO() ? 'a FIFO' : stat.isSocket() ? 'a socket' : 'a device'}); name a file that holds the content, not a pipe, /dev/stdin or a device.`);
    }
    if (stat.size > limit) throw tooLarge(`${stat.size} bytes`);
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > limit) throw tooLarge(`more than ${limit} bytes`);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, length).toString('utf8');
  } finally {
    await handle.close();
  }
}
