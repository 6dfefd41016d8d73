// SPEC §6.6: target streams. The opener's data begins with a target header
// naming where the peer should connect the stream (SOCKS5's address forms);
// the peer answers with one byte (0x00, connected) before any byte of the
// target, or resets the stream with NOT_ALLOWED, UNREACHABLE or REFUSED.
// These helpers read both from a stream's bytes, so the session only carries
// the TARGET flag (§5.1) and never looks inside the data.
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { MpxError, MpxProtocolError } from './errors.js';
import { WireCode } from './constants.js';

export interface StreamTarget {
  /** Host name (resolved by the peer) or IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
}

/** SPEC §6.6: the kinds of address, as SOCKS5's ATYP. */
export const TargetKind = { IPV4: 0x01, NAME: 0x03, IPV6: 0x04 } as const;
/** SPEC §6.6: the peer's answer once the target is connected. */
export const TARGET_CONNECTED = 0x00;
/** Longest host name in a target header, bytes (its length is a u8). */
export const MAX_TARGET_NAME = 255;

/** The target header for `target` (SPEC §6.6); throws MPX_ERR_INVALID_ARGUMENT for a bad host or port. */
export function encodeTargetHeader(target: StreamTarget): Buffer {
  const { host, port } = target;
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) {
    throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `target port must be an integer in 1-65535, got ${port}`);
  }
  let address: Buffer;
  switch (isIP(host)) {
    case 4:
      address = Buffer.from([TargetKind.IPV4, ...host.split('.').map(Number)]);
      break;
    case 6:
      address = Buffer.concat([Buffer.of(TargetKind.IPV6), ipv6Bytes(host)]);
      break;
    default: {
      const name = Buffer.from(host, 'latin1');
      if (name.length < 1 || name.length > MAX_TARGET_NAME || !/^[\x21-\x7e]+$/.test(host)) {
        throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `target host must be an IP address or a name of 1-${MAX_TARGET_NAME} printable ASCII bytes`);
      }
      address = Buffer.concat([Buffer.of(TargetKind.NAME, name.length), name]);
    }
  }
  const out = Buffer.alloc(address.length + 2);
  address.copy(out);
  out.writeUInt16BE(port, address.length);
  return out;
}

/** Reads the target header at the start of a target stream's data (SPEC §6.6); the bytes after it stay in the stream. */
export async function readTargetHeader(stream: Readable): Promise<StreamTarget> {
  const kind = (await readExact(stream, 1))[0];
  let host: string;
  if (kind === TargetKind.IPV4) {
    host = [...(await readExact(stream, 4))].join('.');
  } else if (kind === TargetKind.IPV6) {
    const b = await readExact(stream, 16);
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    host = groups.join(':');
  } else if (kind === TargetKind.NAME) {
    const n = (await readExact(stream, 1))[0] as number;
    host = (await readExact(stream, n)).toString('latin1');
    if (n === 0 || !/^[\x21-\x7e]+$/.test(host)) throw badHeader('the host name is empty or not printable ASCII');
  } else {
    throw badHeader(`unknown address kind 0x${(kind ?? 0).toString(16)}`);
  }
  const port = (await readExact(stream, 2)).readUInt16BE(0);
  if (port === 0) throw badHeader('port 0');
  return { host, port };
}

/** Waits for the peer's answer to a target stream (SPEC §6.6); rejects with the stream's error when it was reset. */
export async function readTargetReply(stream: Readable): Promise<void> {
  const answer = (await readExact(stream, 1))[0];
  if (answer !== TARGET_CONNECTED) throw badHeader(`target answer 0x${(answer ?? 0).toString(16)}`);
}

function badHeader(why: string): MpxProtocolError {
  return new MpxProtocolError(WireCode.PROTOCOL, `target stream: ${why} (SPEC §6.6)`);
}

function ipv6Bytes(host: string): Buffer {
  const [head = '', tail] = host.split('::') as [string, string | undefined];
  const part = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let groups = part(head);
  let after = tail === undefined ? [] : part(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const last = (tail === undefined ? groups : after).at(-1);
  if (last !== undefined && last.includes('.')) {
    const v4 = last.split('.').map(Number) as [number, number, number, number];
    const pair = [((v4[0] << 8) | v4[1]).toString(16), ((v4[2] << 8) | v4[3]).toString(16)];
    if (tail === undefined) groups = [...groups.slice(0, -1), ...pair];
    else after = [...after.slice(0, -1), ...pair];
  }
  const zeros = tail === undefined ? [] : new Array<string>(8 - groups.length - after.length).fill('0');
  const out = Buffer.alloc(16);
  [...groups, ...zeros, ...after].forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Exactly `n` bytes from the start of `stream`; what follows is put back. */
function readExact(stream: Readable, n: number): Promise<Buffer> {
  if (n === 0) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const cleanup = (): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (have < n && (chunk = stream.read() as Buffer | null) !== null) {
        const need = n - have;
        if (chunk.length > need) {
          stream.unshift(chunk.subarray(need));
          chunk = chunk.subarray(0, need);
        }
        chunks.push(chunk);
        have += chunk.length;
      }
      if (have === n) {
        cleanup();
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(badHeader('the stream ended before its target header or answer was complete'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      cleanup();
      reject(stream.errored ?? new MpxError('MPX_ERR_STREAM_RESET', 'the stream closed before its target header or answer'));
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
    onReadable();
  });
}
