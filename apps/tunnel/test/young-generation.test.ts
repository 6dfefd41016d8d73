// The young generation stays at V8's initial size while mpx-tunnel holds it,
// however much survives, and grows again once released. Each case runs in
// its own node process (V8 flags are per process).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('../dist/young-generation.js', import.meta.url));
const INITIAL = 2 * 1024 * 1024;

/** Young-generation capacity (bytes) after `steps` ran and ~24 MB of objects were kept alive, in a fresh node. */
function youngCapacityAfterSurvivors(steps: string, execArgv: string[] = []): number {
  const script = `
    const { holdYoungGeneration, releaseYoungGeneration } = await import(${JSON.stringify(MODULE)});
    ${steps}
    const { getHeapSpaceStatistics } = await import('node:v8');
    const kept = [];
    for (let i = 0; i < 200_000; i++) kept.push({ i, name: 'stream ' + i, list: [i, i + 1, i + 2] });
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    process.stdout.write(String(young.space_size));
  `;
  return Number(execFileSync(process.execPath, [...execArgv, '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('holding the young generation', () => {
  it('keeps it at its initial size while long-lived objects pile up', () => {
    expect(youngCapacityAfterSurvivors('holdYoungGeneration();')).toBeLessThanOrEqual(INITIAL);
  });

  it('lets it grow as V8 would once released', () => {
    expect(youngCapacityAfterSurvivors('')).toBeGreaterThan(INITIAL);
    expect(youngCapacityAfterSurvivors('holdYoungGeneration(); releaseYoungGeneration();')).toBeGreaterThan(INITIAL);
  });

  it("leaves the operator's --semi-space-growth-factor alone", () => {
    expect(youngCapacityAfterSurvivors('holdYoungGeneration();', ['--semi-space-growth-factor=2'])).toBeGreaterThan(INITIAL);
  });
});
