// SPEC §3.2, §8: standby (backup) carriers and carriers of one direction of
// data, over in-memory carrier pairs.
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../src/decode.js';
import { encodeFrame } from '../src/encode.js';
import { FrameType, HelloFlags } from '../src/constants.js';
import type { CarrierStats } from '../src/carrier-link.js';
import type { HelloFrame } from '../src/frame.js';
import { connect, digestOf, eventually, nextStream, patternBytes, sha256, transfer } from './harness.js';

const MiB = 1024 * 1024;
/** Bytes a carrier that carries no data of a side may still send: ACKs, WINDOWs, PINGs of a few MiB's transfer. */
const CONTROL_ONLY = 256 * 1024;

function byRole(stats: CarrierStats[], role: 'primary' | 'backup'): CarrierStats[] {
  return stats.filter((c) => c.role === role);
}

function bytesOut(stats: CarrierStats[]): number {
  return stats.reduce((n, c) => n + c.bytesOut, 0);
}

describe('HELLO flags for what a carrier is for (SPEC §3.2)', () => {
  const hello: HelloFrame = {
    type: FrameType.HELLO, version: 1, resume: true, weight: 2, sessionId: new Uint8Array(16), nonce: new Uint8Array(16),
    streamWindow: 1, sessionWindow: 1, maxFrame: 65536, mac: new Uint8Array(32),
  };
  const decode = (bytes: Uint8Array): HelloFrame => {
    const decoder = new FrameDecoder({ maxFrame: 1024 });
    decoder.push(bytes);
    return decoder.next() as HelloFrame;
  };
  const roundTrip = (frame: HelloFrame): HelloFrame => decode(Buffer.concat(encodeFrame(frame)));

  it('encodes BACKUP and DOWN_ONLY next to RESUME and decodes them back', () => {
    const bytes = Buffer.concat(encodeFrame({ ...hello, backup: true, direction: 'down' }));
    expect(bytes[12 + 5]).toBe(HelloFlags.RESUME | HelloFlags.BACKUP | HelloFlags.DOWN_ONLY);
    expect(roundTrip({ ...hello, backup: true, direction: 'down' })).toMatchObject({ backup: true, direction: 'down', resume: true });
    expect(roundTrip({ ...hello, direction: 'up' })).toMatchObject({ direction: 'up' });
  });

  it('decodes a HELLO of an older client (flags 0) without the new fields', () => {
    const decoded = roundTrip({ ...hello, resume: false });
    expect(decoded.backup).toBeUndefined();
    expect(decoded.direction).toBeUndefined();
  });

  it('refuses UP_ONLY with DOWN_ONLY as PROTOCOL', () => {
    const bytes = Buffer.concat(encodeFrame({ ...hello, direction: 'up' }));
    bytes[12 + 5] = HelloFlags.UP_ONLY | HelloFlags.DOWN_ONLY;
    expect(() => decode(bytes)).toThrow(expect.objectContaining({ code: 'MPX_ERR_PROTOCOL' }));
  });
});

describe('standby carriers (SPEC §8)', () => {
  it('keep a backup carrier open but free of data while a primary is up, on both sides', async () => {
    const h = await connect({ weights: [1] });
    await h.addCarrier(1, undefined, { role: 'backup' });
    await transfer(h, 4 * MiB, 4 * MiB);
    const server = h.serverSession.carrierStats();
    expect(byRole(server, 'backup')).toHaveLength(1); // the server learnt it from HELLO
    expect(bytesOut(byRole(h.client.carrierStats(), 'backup'))).toBeLessThan(CONTROL_ONLY);
    expect(bytesOut(byRole(server, 'backup'))).toBeLessThan(CONTROL_ONLY);
    expect(bytesOut(byRole(server, 'primary'))).toBeGreaterThan(4 * MiB);
    h.close();
  });

  it('moves the data to the backup when the primary dies, with nothing lost, and back to a new primary', async () => {
    const h = await connect({ weights: [1] });
    await h.addCarrier(1, undefined, { role: 'backup' });
    let killed = false;
    await transfer(h, 6 * MiB, 6 * MiB, (seen) => {
      if (!killed && seen >= 2 * MiB) {
        killed = true;
        h.pairs[0]!.kill();
      }
    });
    expect(killed).toBe(true);
    expect(bytesOut(byRole(h.client.carrierStats(), 'backup'))).toBeGreaterThan(2 * MiB);
    const backupBefore = bytesOut(byRole(h.serverSession.carrierStats(), 'backup'));
    await h.addCarrier(1);
    await transfer(h, 4 * MiB, 4 * MiB);
    expect(bytesOut(byRole(h.serverSession.carrierStats(), 'backup')) - backupBefore).toBeLessThan(CONTROL_ONLY);
    h.close();
  });

  it('takes over from a stalled primary (open but silent) before it is declared dead', async () => {
    const opts = { pingIntervalMs: 20, deadAfterMs: 60_000 };
    const h = await connect({ weights: [1], client: opts, server: opts });
    await h.addCarrier(1, undefined, { role: 'backup' });
    let stalled = false;
    await transfer(h, 4 * MiB, 4 * MiB, (seen) => {
      if (!stalled && seen >= MiB) {
        stalled = true;
        h.pairs[0]!.stall();
      }
    });
    expect(stalled).toBe(true);
    expect(h.client.carrierCount).toBe(2); // the stalled primary was not closed: the backup carried on
    expect(bytesOut(byRole(h.client.carrierStats(), 'backup'))).toBeGreaterThan(MiB);
    h.close();
  });
});

describe('carriers of one direction (SPEC §8)', () => {
  it('sends each direction of data only on its carriers, control frames on both', async () => {
    const h = await connect({ weights: [1, 1], uses: [{ direction: 'up' }, { direction: 'down' }] });
    await transfer(h, 6 * MiB, 5 * MiB);
    const dir = (stats: CarrierStats[], d: string): CarrierStats[] => stats.filter((c) => c.direction === d);
    const client = h.client.carrierStats();
    const server = h.serverSession.carrierStats();
    expect(bytesOut(dir(client, 'up'))).toBeGreaterThan(6 * MiB);
    expect(bytesOut(dir(client, 'down'))).toBeLessThan(CONTROL_ONLY);
    expect(bytesOut(dir(client, 'down'))).toBeGreaterThan(0); // ACKs and WINDOWs use it
    expect(bytesOut(dir(server, 'down'))).toBeGreaterThan(5 * MiB);
    expect(bytesOut(dir(server, 'up'))).toBeLessThan(CONTROL_ONLY);
    h.close();
  });

  it('waits for a carrier of its direction rather than using the other one', async () => {
    const h = await connect({ weights: [1], uses: [{ direction: 'up' }] });
    const accepted = nextStream(h.serverSession);
    const c = h.client.openStream();
    c.write('hi');
    const s = await accepted;
    const down = patternBytes(5, 64 * 1024);
    s.end(down);
    const received = digestOf(c);
    // A round trip of the client's data: the server's reply, were it allowed on the up carrier, would have left by then.
    let echoed = '';
    s.on('data', (chunk: Buffer) => (echoed += chunk.toString()));
    c.end(' there');
    await eventually(() => echoed === 'hi there');
    expect(h.serverSession.carrierStats()[0]!.bytesOut).toBeLessThan(1024); // ACKs only
    // The server's data waits for a carrier that may carry it, and takes it.
    await h.addCarrier(1, undefined, { direction: 'down' });
    expect(await received).toEqual({ bytes: down.byteLength, sha256: sha256(down) });
    h.close();
  });
});
