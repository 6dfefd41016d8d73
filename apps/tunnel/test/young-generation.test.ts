// The young generation stays at V8's initial size when mpx-tunnel's setting
// is made first, however much survives; without it the same load grows it.
// Each case runs in its own node process (V8 flags are per process).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('../dist/young-generation.js', import.meta.url));

/** Young-generation capacity (bytes) after keeping ~24 MB of objects alive, in a fresh node. */
function youngCapacityAfterSurvivors(keepSmall: boolean, execArgv: string[] = []): number {
  const script = `
    const { keepYoungGenerationSmall } = await import(${JSON.stringify(MODULE)});
    if (${keepSmall}) keepYoungGenerationSmall();
    const { getHeapSpaceStatistics } = await import('node:v8');
    const kept = [];
    for (let i = 0; i < 200_000; i++) kept.push({ i, name: 'stream ' + i, list: [i, i + 1, i + 2] });
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    process.stdout.write(String(young.space_size));
  `;
  return Number(execFileSync(process.execPath, [...execArgv, '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('keepYoungGenerationSmall', () => {
  it('keeps the young generation at its initial size while long-lived objects pile up', () => {
    const grown = youngCapacityAfterSurvivors(false);
    const kept = youngCapacityAfterSurvivors(true);
    expect(kept).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(grown).toBeGreaterThan(kept);
  });

  it("leaves the operator's --semi-space-growth-factor alone", () => {
    expect(youngCapacityAfterSurvivors(true, ['--semi-space-growth-factor=2'])).toBeGreaterThan(2 * 1024 * 1024);
  });
});
