import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROFILE_DIR_ENV, profileFlags } from '../src/profile-flags.js';

describe('profileFlags', () => {
  const saved = process.env[PROFILE_DIR_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[PROFILE_DIR_ENV];
    else process.env[PROFILE_DIR_ENV] = saved;
  });

  it('adds no flags when profiling is off', () => {
    delete process.env[PROFILE_DIR_ENV];
    expect(profileFlags('mpx server', ['server'])).toEqual([]);
  });

  it('profiles tunnel and relay processes into numbered files beside their command lines, nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpx-profile-flags-'));
    try {
      process.env[PROFILE_DIR_ENV] = dir;
      const server = profileFlags('mpx server', ['server', '--listen', '127.0.0.1:0']);
      const relay = profileFlags('relay A', ['127.0.0.1:9']);
      expect(profileFlags('target', [])).toEqual([]);
      const name = (flags: string[]): string => flags[flags.indexOf('--cpu-prof-name') + 1] ?? '';
      expect(server.slice(0, 3)).toEqual(['--cpu-prof', '--cpu-prof-dir', dir]);
      expect(name(server)).toMatch(/^\d\d-mpx-server\.cpuprofile$/);
      expect(name(relay)).toMatch(/^\d\d-relay-A\.cpuprofile$/);
      expect(name(relay) > name(server)).toBe(true);
      const args = readFileSync(join(dir, name(server).replace('.cpuprofile', '.args.txt')), 'utf8');
      expect(args).toBe('mpx server: server --listen 127.0.0.1:0\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
