// WebSocket masking (RFC 6455 §5.3): a client XORs every byte it sends with
// a random 4-byte key, and the server XORs every byte it receives back. ws
// does it in a JavaScript loop of a byte at a time unless its optional
// native helper, bufferutil, loads; uploads over ws:// carriers then cost
// both tunnel processes about four times the CPU per byte of downloads
// (loopback, one iperf3 stream over 2 carriers: 1.7-2.3 Gbit/s at 2.3-3.6
// user CPU s/GB per process, against 4.6-5.5 Gbit/s at 0.57-0.82 with
// bufferutil). bufferutil is an optional dependency of this package (and of
// mpx-tunnel, whose bundle holds ws): prebuilt for linux-x64, macOS and
// Windows; elsewhere it falls back to the same JavaScript loop.
import * as http from 'node:http';
import { createRequire } from 'node:module';
import { maskInJavaScript } from './frames.js';
import type { MaskFunction } from './frames.js';

interface Masker {
  readonly mask: (source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number) => void;
}

/** Node's own helper, which ws prefers when present (not in Node 20). */
function nodeMasking(): boolean {
  return typeof (http as { websocketMask?: unknown }).websocketMask === 'function';
}

/** How ws masks here: `native` false means a JavaScript loop over every byte; `detail` says why, for a log line. */
export interface WebSocketMasking {
  readonly native: boolean;
  readonly detail: string;
}

/**
 * bufferutil as ws requires it: from ws' own directory, or, where ws is
 * bundled with this code (the mpx-tunnel bin), from here. Throws when it is
 * not installed.
 */
function bufferutilForWs(): Masker {
  const here = createRequire(import.meta.url);
  let wsRequire = here;
  try {
    wsRequire = createRequire(here.resolve('ws'));
  } catch {
    // ws is part of the same bundle: its require is this file's.
  }
  return wsRequire('bufferutil') as Masker;
}

/** What ws masks and unmasks with in this process (ws' lib/buffer-util.js makes the same choice). */
export function webSocketMasking(): WebSocketMasking {
  if (nodeMasking()) return { native: true, detail: "Node's http.websocketMask" };
  if (process.env['WS_NO_BUFFER_UTIL']) return { native: false, detail: 'WS_NO_BUFFER_UTIL is set' };
  let bufferutil: Masker;
  try {
    bufferutil = bufferutilForWs();
  } catch {
    return { native: false, detail: 'bufferutil is not installed' };
  }
  // A native function's source is `function mask() { [native code] }`; bufferutil's fallback is JavaScript.
  if (/\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(bufferutil.mask))) {
    return { native: true, detail: "bufferutil's native build" };
  }
  return { native: false, detail: `bufferutil has no native build for ${process.platform}-${process.arch}` };
}

/** Below this many bytes a call into native code costs more than the loop (ws' own threshold). */
const NATIVE_FROM = 48;

/**
 * The function the carrier masks its own frames with (frames.ts): the one ws
 * uses, bufferutil's when it loads and WS_NO_BUFFER_UTIL is unset, else the
 * JavaScript loop.
 */
export function maskFunction(): MaskFunction {
  if (process.env['WS_NO_BUFFER_UTIL']) return maskInJavaScript;
  let native: MaskFunction;
  try {
    native = bufferutilForWs().mask;
  } catch {
    return maskInJavaScript;
  }
  return (source, mask, output, offset, length) => {
    if (length < NATIVE_FROM) maskInJavaScript(source, mask, output, offset, length);
    else native(source, mask, output, offset, length);
  };
}
