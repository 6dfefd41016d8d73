// The young generation stays at V8's initial size while mpx-tunnel holds it,
// grows to the cap and no further once capped, and is left to V8 when the
// operator set the growth factor. Each case runs in its own node process
// (V8 flags are per process); the survivors are made over many event-loop
// turns, as a storm of connections makes them.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { YoungGenerationCap } from '../src/young-generation.js';

const MODULE = fileURLToPath(new URL('../build/young-generation.js', import.meta.url));
const MiB = 1024 * 1024;
const INITIAL = 2 * MiB;

/** Young-generation capacity (bytes) after `steps` ran and ~30 MB of objects were kept alive, in a fresh node. */
function youngSizeAfterSurvivors(steps: string, execArgv: string[] = []): number {
  const script = `
    const { holdYoungGeneration, capYoungGeneration, youngGenerationSize } = await import(${JSON.stringify(MODULE)});
    ${steps}
    const kept = [];
    for (let turn = 0; turn < 60; turn++) {
      for (let i = 0; i < 4000; i++) kept.push({ i, name: 'stream ' + i + ' of ' + turn, list: [i, turn, i + turn] });
      await new Promise((resolve) => setImmediate(resolve));
    }
    process.stdout.write(String(youngGenerationSize()));
  `;
  return Number(execFileSync(process.execPath, [...execArgv, '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('the young generation of mpx-tunnel', () => {
  it('stays at its initial size while held', () => {
    expect(youngSizeAfterSurvivors('holdYoungGeneration();')).toBeLessThanOrEqual(INITIAL);
  });

  it('grows to the cap and not to the size V8 would give it', () => {
    const free = youngSizeAfterSurvivors('');
    const capped = youngSizeAfterSurvivors('holdYoungGeneration(); capYoungGeneration(4 * 1024 * 1024);');
    expect(capped).toBeGreaterThan(INITIAL);
    expect(capped).toBeLessThanOrEqual(4 * MiB);
    expect(free).toBeGreaterThan(4 * MiB);
  });

  it("leaves the operator's --semi-space-growth-factor alone", () => {
    expect(youngSizeAfterSurvivors('holdYoungGeneration();', ['--semi-space-growth-factor=2'])).toBeGreaterThan(INITIAL);
  });
});

describe('YoungGenerationCap', () => {
  /** A cap of 8 MiB fed the sizes seen after successive collections; returns the growth switches it made. */
  function switches(sizesMiB: number[]): boolean[] {
    const made: boolean[] = [];
    const cap = new YoungGenerationCap(8 * MiB, (on) => made.push(on));
    for (const size of sizesMiB) cap.observe(size * MiB);
    return made;
  }

  it('turns growth on below the cap and off once the cap is reached', () => {
    expect(switches([1, 2, 4, 8])).toEqual([true, false]);
  });

  it('turns growth on again when the young generation shrank from its cap, and off when it is back there', () => {
    expect(switches([1, 8, 8, 1, 1, 2, 8, 4])).toEqual([true, false, true, false, true]);
  });

  it('switches nothing while the size stays on one side of the cap', () => {
    expect(switches([1, 2, 1, 4, 2])).toEqual([true]);
    expect(switches([8, 16, 8])).toEqual([false]);
  });
});
