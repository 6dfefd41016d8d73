import { describe, expect, it } from 'vitest';
import { renderSummary, shortUrl, summariseProfile } from '../src/cpuprofile.js';
import type { CpuProfile } from '../src/cpuprofile.js';

const frame = (functionName: string, url = '', lineNumber = -1) => ({ functionName, url, lineNumber, columnNumber: 0 });

// 100 hits over 1 s (10 ms each): 40 idle, 30 in onData over two call paths, 20 GC, 10 in (root)'s child writev.
const PROFILE: CpuProfile = {
  startTime: 1_000_000,
  endTime: 2_000_000,
  nodes: [
    { id: 1, callFrame: frame('(root)'), hitCount: 0, children: [2, 3, 4, 5, 6] },
    { id: 2, callFrame: frame('(idle)'), hitCount: 40 },
    { id: 3, callFrame: frame('onData', 'file:///w/packages/core/dist/session.js', 41), hitCount: 18 },
    { id: 4, callFrame: frame('onData', 'file:///w/packages/core/dist/session.js', 41), hitCount: 12 },
    { id: 5, callFrame: frame('(garbage collector)'), hitCount: 20 },
    { id: 6, callFrame: frame('writev', 'node:net', 9), hitCount: 10 },
  ],
};

describe('summariseProfile', () => {
  it('adds up the self time of one function over all its call paths, biggest first, idle left out', () => {
    const s = summariseProfile(PROFILE, 15);
    expect(s.samples).toBe(100);
    expect(s.wallMs).toBe(1000);
    expect(s.busyMs).toBeCloseTo(600);
    expect(s.top.map((f) => [f.name, f.where, f.hits])).toEqual([
      ['onData', 'packages/core/dist/session.js:42', 30],
      ['(garbage collector)', '', 20],
      ['writev', 'node:net:10', 10],
    ]);
    expect(s.top[0]?.selfMs).toBeCloseTo(300);
    expect(s.top[0]?.busyShare).toBeCloseTo(0.5);
  });

  it('keeps only the asked number of functions', () => {
    expect(summariseProfile(PROFILE, 1).top.map((f) => f.name)).toEqual(['onData']);
  });

  it('names functions without a name "(anonymous)"', () => {
    const p: CpuProfile = {
      startTime: 0,
      endTime: 1000,
      nodes: [{ id: 1, callFrame: frame('', 'file:///x/apps/tunnel/dist/cli.js', 0), hitCount: 1 }],
    };
    expect(summariseProfile(p, 5).top[0]).toMatchObject({ name: '(anonymous)', where: 'apps/tunnel/dist/cli.js:1' });
  });

  it('gives zeros for a profile without samples', () => {
    expect(summariseProfile({ startTime: 0, endTime: 0, nodes: [{ id: 1, callFrame: frame('(root)'), hitCount: 0 }] }, 5)).toEqual({
      wallMs: 0,
      samples: 0,
      busyMs: 0,
      top: [],
    });
  });
});

describe('shortUrl', () => {
  it('keeps the path from packages/ or apps/ on, node: URLs as they are, else the file name', () => {
    expect(shortUrl('file:///work/wt/x/packages/core/dist/decode.js')).toBe('packages/core/dist/decode.js');
    expect(shortUrl('file:///work/wt/x/apps/tunnel/node_modules/@mpx/core/dist/a.js')).toBe('apps/tunnel/node_modules/@mpx/core/dist/a.js');
    expect(shortUrl('node:internal/stream_base_commons')).toBe('node:internal/stream_base_commons');
    expect(shortUrl('file:///usr/lib/other/thing.js')).toBe('thing.js');
  });
});

describe('renderSummary', () => {
  it('prints the heading, the busy share and one line per function', () => {
    const text = renderSummary('01-mpx-server — mpx server: server --listen 127.0.0.1:0', summariseProfile(PROFILE, 2));
    expect(text.split('\n')).toEqual([
      '01-mpx-server — mpx server: server --listen 127.0.0.1:0',
      '  100 samples over 1.0 s, busy 0.60 s (60% of the wall time)',
      '  self time   busy  function  where',
      '      300 ms  50.0%  onData  packages/core/dist/session.js:42',
      '      200 ms  33.3%  (garbage collector)',
    ]);
  });
});
