// mpx-tunnel keeps V8's Sparkplug and TurboFan off while it starts and turns
// them on with its first stream; an operator's compiler flag on node's
// command line wins. The held/resumed cases run in their own node process
// (V8 flags are per process) with --trace-opt, which names every function
// TurboFan compiles.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compilersOurs, holdCompilers, resumeCompilers } from '../src/start-up-compilers.js';

const MODULE = fileURLToPath(new URL('../dist/start-up-compilers.js', import.meta.url));

/** --trace-opt output of a node that runs `hot` (a loop TurboFan would compile) after `steps`, split at the marker. */
function optimizedAfter(steps: string): string {
  const script = `
    const { holdCompilers, resumeCompilers } = await import(${JSON.stringify(MODULE)});
    function hotDuringStartUp(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s; }
    function hotOnceRunning(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 5; return s; }
    ${steps}
    for (let k = 0; k < 200; k++) hotDuringStartUp(1e5);
    resumeCompilers();
    for (let k = 0; k < 200; k++) hotOnceRunning(1e5);
  `;
  return execFileSync(process.execPath, ['--trace-opt', '--input-type=module', '-e', script], { encoding: 'utf8' });
}

describe('the compilers of mpx-tunnel', () => {
  it('compile nothing while held, and compile hot code again once resumed', () => {
    const trace = optimizedAfter('holdCompilers();');
    expect(trace).not.toMatch(/completed (compiling|optimizing) \S+ <JSFunction hotDuringStartUp /);
    expect(trace).toMatch(/completed (compiling|optimizing) \S+ <JSFunction hotOnceRunning /);
  });

  it('compile hot code as V8 does when not held', () => {
    expect(optimizedAfter('')).toMatch(/completed (compiling|optimizing) \S+ <JSFunction hotDuringStartUp /);
  });

  it("are the operator's when node's command line names a compiler flag", () => {
    expect(compilersOurs([])).toBe(true);
    expect(compilersOurs(['--enable-source-maps', '--max-old-space-size=512'])).toBe(true);
    for (const flag of ['--no-opt', '--opt', '--turbofan', '--no-sparkplug', '--max-opt=2', '--max_opt=1', '--jitless', '--no_opt']) {
      expect(compilersOurs([flag]), flag).toBe(false);
    }
  });

  it("are neither held nor resumed when the operator named one (this process's own V8 is left as it is)", () => {
    expect(holdCompilers(['--no-opt'])).toBeUndefined();
    expect(resumeCompilers()).toBeUndefined();
  });
});
