import { describe, expect, it } from 'vitest';
import { parseServerList } from '../src/address.js';
import { checkLocalAddresses, formatEntry, parseServerEntry } from '../src/server-entry.js';
import { usageErrorOf } from './usage-error.js';

describe('--server entry options', () => {
  it('keeps the fregie/mpx spelling addr|weight, with the defaults for the rest', () => {
    expect(parseServerEntry('a.example:5512|3')).toEqual({
      scheme: 'tcp',
      host: 'a.example',
      port: 5512,
      path: '',
      weight: 3,
      from: undefined,
      role: 'primary',
      direction: 'both',
    });
    expect(parseServerEntry('a.example:5512')).toMatchObject({ weight: 1, role: 'primary', direction: 'both' });
  });

  it('reads from=, backup and up/down in any order, IPv6 egress bare or in brackets', () => {
    expect(parseServerEntry('a:1|backup|from=10.0.0.7|2|down')).toMatchObject({ weight: 2, from: '10.0.0.7', role: 'backup', direction: 'down' });
    expect(parseServerEntry('[::1]:1|from=[2001:db8::7]|up')).toMatchObject({ host: '::1', from: '2001:db8::7', direction: 'up' });
    expect(parseServerEntry('ws://b/mpx|from=::1')).toMatchObject({ path: '/mpx', from: '::1' });
  });

  it('parses a list of two carriers from two local addresses', () => {
    const list = parseServerList('a.example:5512|1|from=192.168.1.10,a.example:5512|1|from=10.0.0.7');
    expect(list.map((e) => e.from)).toEqual(['192.168.1.10', '10.0.0.7']);
  });

  it('names the entry and the option in every error', () => {
    const cases: Array<[string, RegExp]> = [
      ['a:1|fast', /--server entry 'a:1\|fast': option 'fast' is unknown/],
      ['a:1|from=eth0', /entry 'a:1\|from=eth0': option 'from=eth0' needs an IP address of this host, not 'eth0'/],
      ['a:1|from=', /option 'from=' needs a local IP address/],
      ['a:1|up|down', /option 'down' conflicts with 'up'/],
      ['a:1|backup|backup', /option 'backup' is given twice/],
      ['a:1|2|3', /option '3' is a second weight/],
      ['a:1||2', /option '' is empty/],
      ['a:1|from=10.0.0.1|from=10.0.0.2', /option 'from=10.0.0.2' repeats from=/],
    ];
    for (const [text, message] of cases) {
      expect(usageErrorOf(() => parseServerEntry(text), 'MPX_TUNNEL_ERR_SERVER_OPTION').message).toMatch(message);
    }
    expect(usageErrorOf(() => parseServerEntry('a:1|backup|0'), 'MPX_TUNNEL_ERR_WEIGHT').message).toMatch(/invalid weight '0'/);
  });

  it('refuses a list whose entries cannot carry both directions, which every connection would wait on for ever', () => {
    expect(usageErrorOf(() => parseServerList('a:1|down,b:2|down|backup'), 'MPX_TUNNEL_ERR_SERVER_OPTION').message).toBe(
      "every --server entry is 'down': no carrier could carry data to the server (add an entry without 'down')",
    );
    expect(usageErrorOf(() => parseServerList('a:1|up'), 'MPX_TUNNEL_ERR_SERVER_OPTION').message).toMatch(
      /no carrier could carry data back from the server/,
    );
    expect(parseServerList('a:1|up,a:1|down').map((e) => e.direction)).toEqual(['up', 'down']);
    expect(parseServerList('a:1|down,b:2').map((e) => e.direction)).toEqual(['down', 'both']);
  });

  it('refuses a from= address of the other family than the IP it dials, before any bind', async () => {
    const error = await checkLocalAddresses([parseServerEntry('[::1]:9|from=127.0.0.1')]).then(
      () => undefined,
      (err: unknown) => err as Error & { code?: string },
    );
    expect(error?.code).toBe('MPX_TUNNEL_ERR_SERVER_OPTION');
    expect(error?.message).toBe("--server entry 'tcp://[::1]:9|1|from=127.0.0.1': option 'from=127.0.0.1' is an IPv4 address, and ::1 is IPv6");
    await expect(checkLocalAddresses([parseServerEntry('127.0.0.1:9|from=127.0.0.1')])).resolves.toBeUndefined();
  });

  it('writes an entry back as it can be given again', () => {
    const entry = parseServerEntry('[::1]:9|from=::1|backup|up|4');
    expect(formatEntry(entry)).toBe('tcp://[::1]:9|4|from=::1|backup|up');
    expect(parseServerEntry(formatEntry(entry))).toEqual(entry);
  });
});
