// frame-reader.ts: which frames the carrier reads itself and which it passes
// to ws' receiver, byte for byte, however the stream is cut.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameReader, type FrameReaderSink } from '../src/frame-reader.js';
import { maskInJavaScript } from '../src/frames.js';

const KEY = Buffer.from([0x12, 0x34, 0x56, 0x78]);

/** A frame built by hand (RFC 6455 §5.2): first byte, payload, masked with KEY or not, an optional length field forced. */
function frame(b0: number, payload: Buffer, masked: boolean, length = payload.length): Buffer {
  const ext = length <= 125 ? 0 : length <= 0xffff ? 2 : 8;
  const header = Buffer.alloc(2 + ext + (masked ? 4 : 0));
  header[0] = b0;
  header[1] = (masked ? 0x80 : 0) | (ext === 0 ? length : ext === 2 ? 126 : 127);
  if (ext === 2) header.writeUInt16BE(length, 2);
  if (ext === 8) {
    header.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  if (!masked) return Buffer.concat([header, payload]);
  KEY.copy(header, 2 + ext);
  const body = Buffer.alloc(payload.length);
  maskInJavaScript(payload, KEY, body, 0, payload.length);
  return Buffer.concat([header, body]);
}

const BINARY = 0x82;
function bytesOf(n: number, seed = 1): Buffer {
  const bytes = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

/** What a reader made of `chunks`: groups in order, each an own message's unmasked payload or a run of passed bytes. */
function readAll(chunks: Buffer[], masked: boolean, maxPayload = 1 << 20): { kind: 'own' | 'pass'; bytes: Buffer }[] {
  const groups: { kind: 'own' | 'pass'; parts: Buffer[] }[] = [];
  const last = () => groups[groups.length - 1];
  const sink: FrameReaderSink = {
    message: () => void groups.push({ kind: 'own', parts: [] }),
    data(bytes, key, keyAt) {
      expect(key !== undefined).toBe(masked);
      expect(last()?.kind).toBe('own');
      const plain = Buffer.alloc(bytes.length);
      if (key === undefined) bytes.copy(plain);
      else for (let i = 0; i < bytes.length; i++) plain[i] = (bytes[i] as number) ^ (key[(keyAt + i) & 3] as number);
      last()!.parts.push(plain);
    },
    pass(bytes) {
      if (last()?.kind !== 'pass') groups.push({ kind: 'pass', parts: [] });
      last()!.parts.push(Buffer.from(bytes));
    },
  };
  const reader = new FrameReader(sink, { masked, maxPayload });
  for (const chunk of chunks) reader.read(chunk);
  return groups.map((g) => ({ kind: g.kind, bytes: Buffer.concat(g.parts) }));
}

/** Buffer.equals per group: vitest's deep equality walks large buffers a byte at a time. */
function expectGroups(got: { kind: string; bytes: Buffer }[], want: { kind: string; bytes: Buffer }[]): void {
  expect(got.map((g) => `${g.kind} ${g.bytes.length}`)).toEqual(want.map((g) => `${g.kind} ${g.bytes.length}`));
  got.forEach((g, i) => expect(g.bytes.equals(want[i]!.bytes)).toBe(true));
}

/** `bytes` cut at the given offsets. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) chunks.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  return chunks;
}

describe('FrameReader', () => {
  it.each([0, 1, 125, 126, 0xffff, 0x10000, 200_000])('reads a %d-byte binary frame itself, masked or not, cut anywhere', (n) => {
    for (const masked of [true, false]) {
      const payload = bytesOf(n);
      const wire = frame(BINARY, payload, masked);
      for (const chunks of [[wire], cut(wire, [1, 3, 7, 11, 13, 100]), cut(wire, [2])]) {
        expectGroups(readAll(chunks, masked), [{ kind: 'own', bytes: payload }]);
      }
    }
  });

  it('passes control frames, text and what breaks its rules, header included, and reads the binary frames around them', () => {
    const masked = true;
    const a = bytesOf(90, 1);
    const b = bytesOf(20, 2);
    const passed = [
      frame(0x89, Buffer.from('ping'), masked), // ping
      frame(0x8a, Buffer.from('pong'), masked), // pong
      frame(0x81, Buffer.from('text'), masked), // text
      frame(BINARY, bytesOf(10), false), // not masked where it must be
      frame(BINARY | 0x40, bytesOf(10), masked), // RSV1
      frame(BINARY, bytesOf(101), masked), // over maxPayload
    ];
    const wire = Buffer.concat([frame(BINARY, a, masked), ...passed, frame(BINARY, b, masked)]);
    expectGroups(readAll(cut(wire, [5, 100, 101, 150]), masked, 100), [
      { kind: 'own', bytes: a },
      { kind: 'pass', bytes: Buffer.concat(passed) },
      { kind: 'own', bytes: b },
    ]);
  });

  it('passes a fragmented message whole, a ping inside it included; a binary frame after it is its own again', () => {
    const masked = false;
    const fragments = [
      frame(0x02, bytesOf(50), masked), // binary, FIN clear
      frame(0x89, Buffer.alloc(0), masked), // ping between fragments
      frame(0x82, bytesOf(5), masked), // FIN binary inside: a protocol error, left to ws
      frame(0x80, bytesOf(7), masked), // last continuation
    ];
    const after = bytesOf(9);
    const wire = Buffer.concat([...fragments, frame(BINARY, after, masked)]);
    expectGroups(readAll([wire], masked), [
      { kind: 'pass', bytes: Buffer.concat(fragments) },
      { kind: 'own', bytes: after },
    ]);
  });

  it('passes everything after a close frame', () => {
    const masked = true;
    const before = bytesOf(40);
    const rest = Buffer.concat([frame(0x88, Buffer.from([0x03, 0xe8]), masked), frame(BINARY, bytesOf(30), masked), Buffer.from('junk')]);
    const wire = Buffer.concat([frame(BINARY, before, masked), rest]);
    expectGroups(readAll(cut(wire, [47, 60]), masked), [
      { kind: 'own', bytes: before },
      { kind: 'pass', bytes: rest },
    ]);
  });

  it('passes a 64-bit length past 2^53 without counting it, and does not throw', () => {
    const huge = frame(BINARY, Buffer.alloc(0), false, 0);
    huge[1] = 127;
    const wire = Buffer.concat([huge.subarray(0, 2), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), bytesOf(100)]);
    expectGroups(readAll(cut(wire, [4, 50]), false), [{ kind: 'pass', bytes: wire }]);
  });

  it('says when it is between frames', () => {
    const reader = new FrameReader({ message: () => {}, data: () => {}, pass: () => {} }, { masked: false, maxPayload: 1000 });
    expect(reader.atBoundary).toBe(true);
    const wire = frame(BINARY, bytesOf(200), false);
    reader.read(wire.subarray(0, 1));
    expect(reader.atBoundary).toBe(false);
    reader.read(wire.subarray(1, 100));
    expect(reader.atBoundary).toBe(false);
    reader.read(wire.subarray(100));
    expect(reader.atBoundary).toBe(true);
  });

  it('reads any mix of frames cut anywhere the same as whole (seed 0x5eed)', () => {
    type Spec = { kind: 'own'; n: number } | { kind: 'ping' | 'text' | 'big'; n: number } | { kind: 'fragmented'; n: number };
    const spec = fc.oneof(
      fc.record({ kind: fc.constant('own' as const), n: fc.integer({ min: 0, max: 20_000 }) }),
      fc.record({ kind: fc.constantFrom('ping' as const, 'text' as const), n: fc.integer({ min: 0, max: 125 }) }),
      fc.record({ kind: fc.constant('big' as const), n: fc.integer({ min: 20_001, max: 20_100 }) }),
      fc.record({ kind: fc.constant('fragmented' as const), n: fc.integer({ min: 1, max: 3000 }) }),
    );
    fc.assert(
      fc.property(
        fc.array(spec, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.boolean(),
        (specs: Spec[], at, masked) => {
          const want: { kind: 'own' | 'pass'; bytes: Buffer }[] = [];
          const wire: Buffer[] = [];
          specs.forEach((s, i) => {
            const payload = bytesOf(s.n, i);
            let bytes: Buffer;
            if (s.kind === 'own') bytes = frame(BINARY, payload, masked);
            else if (s.kind === 'ping') bytes = frame(0x89, payload, masked);
            else if (s.kind === 'text') bytes = frame(0x81, payload, masked);
            else if (s.kind === 'big') bytes = frame(BINARY, payload, masked);
            else {
              const half = Math.floor(s.n / 2);
              bytes = Buffer.concat([frame(0x02, payload.subarray(0, half), masked), frame(0x80, payload.subarray(half), masked)]);
            }
            wire.push(bytes);
            const prev = want[want.length - 1];
            if (s.kind === 'own') want.push({ kind: 'own', bytes: payload });
            else if (prev?.kind === 'pass') prev.bytes = Buffer.concat([prev.bytes, bytes]);
            else want.push({ kind: 'pass', bytes });
          });
          const all = Buffer.concat(wire);
          expectGroups(
            readAll(
              cut(
                all,
                at.map((a) => a * 37),
              ),
              masked,
              20_000,
            ),
            want,
          );
        },
      ),
      { seed: 0x5eed, numRuns: 150 },
    );
  });
});

describe('what FrameReader passes, ws reads', () => {
  interface WsReceiver {
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
    on(event: 'ping', listener: (data: Buffer) => void): void;
    write(chunk: Buffer): boolean;
  }
  const { Receiver } = createRequire(import.meta.url)('ws') as {
    Receiver: new (options: { isServer: boolean; maxPayload: number }) => WsReceiver;
  };

  it('a ping and a fragmented message between binary frames reach ws as they were sent', () => {
    const receiver = new Receiver({ isServer: true, maxPayload: 1 << 20 });
    const events: string[] = [];
    receiver.on('ping', (data) => events.push(`ping ${data.toString()}`));
    receiver.on('message', (data, isBinary) => events.push(`message ${String(isBinary)} ${data.length}`));
    const own: number[] = [];
    const reader = new FrameReader(
      { message: (size) => own.push(size), data: () => {}, pass: (bytes) => receiver.write(Buffer.from(bytes)) },
      { masked: true, maxPayload: 1 << 20 },
    );
    const wire = Buffer.concat([
      frame(BINARY, bytesOf(1000), true),
      frame(0x89, Buffer.from('hi'), true),
      frame(0x02, bytesOf(70), true),
      frame(0x80, bytesOf(30), true),
      frame(BINARY, bytesOf(3), true),
    ]);
    for (const chunk of cut(wire, [3, 1005, 1010, 1050, 1100])) reader.read(chunk);
    expect(own).toEqual([1000, 3]);
    expect(events).toEqual(['ping hi', 'message true 100']);
  });
});
