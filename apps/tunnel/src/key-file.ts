// --key-file: a key is a few dozen bytes, so the file must be a regular file
// of at most MAX_KEY_FILE_BYTES. It is opened with O_NONBLOCK and checked with
// fstat on the opened descriptor (no race with a rename between stat and open),
// so a FIFO without a writer, /dev/zero or a directory is refused at once
// instead of hanging or reading without end.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { UsageError } from './errors.js';

/**
 * Largest key file accepted. Rationale: a key of 32 random bytes in base64 is
 * 44 characters; 4 KiB leaves room for any sane key and bounds what a wrong
 * path (a log file, a disk image) can make the process read.
 */
export const MAX_KEY_FILE_BYTES = 4096;

function kind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The error for a --flag file the system refuses to open or read (ENOENT, EACCES, ...). */
export function cannotRead(flag: string, path: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new UsageError('MPX_TUNNEL_ERR_FILE', `cannot read --${flag} file '${path}': ${code}`, { cause: err });
}

/** The bytes of the regular file `path`, at most `maxBytes` of them; anything else is a UsageError naming the flag. */
export function readSmallRegularFile(flag: string, path: string, maxBytes: number): Buffer {
  const refuse = (what: string): UsageError =>
    new UsageError('MPX_TUNNEL_ERR_FILE', `--${flag} file '${path}' ${what}; it must be a regular file of at most ${maxBytes} bytes`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw cannotRead(flag, path, err);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw refuse(`is ${kind(stats)}`);
    if (stats.size > maxBytes) throw refuse(`has ${stats.size} bytes`);
    // One byte more than allowed, so a file that grew since fstat is caught too.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw refuse(`has more than ${maxBytes} bytes`);
    return buffer.subarray(0, length);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw cannotRead(flag, path, err);
  } finally {
    closeSync(fd);
  }
}
