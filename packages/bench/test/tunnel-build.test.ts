import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeTunnelBuild, newerThan, porcelainPaths, tunnelBuild } from '../src/tunnel-build.js';

describe('newerThan', () => {
  it('lists the sources changed after the bin, sorted', () => {
    const sources = [
      { path: 'packages/core/src/b.ts', mtimeMs: 2_000 },
      { path: 'apps/tunnel/src/a.ts', mtimeMs: 3_000 },
      { path: 'packages/core/src/old.ts', mtimeMs: 500 },
      { path: 'packages/core/src/same.ts', mtimeMs: 1_000 },
    ];
    expect(newerThan(1_000, sources)).toEqual(['apps/tunnel/src/a.ts', 'packages/core/src/b.ts']);
    expect(newerThan(5_000, sources)).toEqual([]);
  });
});

describe('porcelainPaths', () => {
  it("takes the paths of git's short status, a rename's new name", () => {
    const out = ' M packages/core/src/carrier-link.ts\n?? apps/tunnel/src/new.ts\nR  packages/core/src/a.ts -> packages/core/src/b.ts\n';
    expect(porcelainPaths(out)).toEqual(['apps/tunnel/src/new.ts', 'packages/core/src/b.ts', 'packages/core/src/carrier-link.ts']);
    expect(porcelainPaths('')).toEqual([]);
  });
});

describe('tunnelBuild', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  /** A tree outside any git checkout: a bin written at t=2,000 s and sources at the given times (s). */
  function tree(times: Record<string, number>): { root: string; bin: string } {
    root = mkdtempSync(join(tmpdir(), 'mpx-bench-build-'));
    const bin = join(root, 'apps/tunnel/dist/cli.js');
    mkdirSync(join(root, 'apps/tunnel/dist'), { recursive: true });
    writeFileSync(bin, 'console.log("bin");\n');
    utimesSync(bin, 2_000, 2_000);
    for (const [path, t] of Object.entries(times)) {
      const file = join(root, path);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, `// ${path}\n`);
      utimesSync(file, t, t);
    }
    return { root, bin };
  }

  it('names the sources edited after the bin was built, and warns of them', () => {
    const t = tree({ 'packages/core/src/carrier-link.ts': 2_500, 'packages/core/src/frame.ts': 1_000, 'apps/tunnel/src/cli.ts': 1_500 });
    const b = tunnelBuild(t.bin, t.root);
    expect(b.bin).toBe('apps/tunnel/dist/cli.js');
    expect(b.sha256).toMatch(/^[0-9a-f]{16}$/);
    expect(b.builtAt).toBe(new Date(2_000_000).toISOString());
    expect(b.staleSources).toEqual(['packages/core/src/carrier-link.ts']);
    expect(b.commit).toBeNull();
    expect(b.uncommitted).toBeNull();
    const { line, warning } = describeTunnelBuild(b);
    expect(line).toContain(`sha256 ${b.sha256}`);
    expect(line).toContain('commit unknown');
    expect(warning).toContain('older than 1 of its sources (packages/core/src/carrier-link.ts)');
  });

  it('gives no warning when the bin is newer than every source', () => {
    const t = tree({ 'packages/core/src/frame.ts': 1_000, 'packages/transport-ws/src/ws.ts': 1_999 });
    const b = tunnelBuild(t.bin, t.root);
    expect(b.staleSources).toEqual([]);
    expect(describeTunnelBuild(b).warning).toBeUndefined();
  });
});
