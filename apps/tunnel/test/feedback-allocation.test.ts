// mpx-tunnel gives functions their feedback vectors (inline caches) from the
// first call, and leaves V8's default alone when the operator named the flag.
// Each case runs in its own node process (V8 flags are per process) and reads
// V8's own description of a function called once (%DebugPrint).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allocateFeedbackAtFirstCarrier } from '../src/feedback-allocation.js';
import { createLogger } from '../src/log.js';

const MODULE = fileURLToPath(new URL('../build/feedback-allocation.js', import.meta.url));

/** What allocateFeedbackEagerly() returned (unless `call` is false) and whether a function called once then has a feedback vector. */
function afterOneCall(call: boolean, execArgv: string[] = []): { set: string; vector: boolean } {
  const script = `
    const { allocateFeedbackEagerly } = await import(${JSON.stringify(MODULE)});
    const set = ${call ? 'allocateFeedbackEagerly()' : 'undefined'};
    function readX(o) { return o.x; }
    readX({ x: 1 });
    console.log(JSON.stringify({ set: String(set) }));
    %DebugPrint(readX);
  `;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', ...execArgv, '--input-type=module', '-e', script], { encoding: 'utf8' });
  const [first = '{}', ...rest] = out.split('\n');
  const vector = rest.find((line) => line.includes('- feedback vector:')) ?? '';
  return { set: (JSON.parse(first) as { set: string }).set, vector: vector.includes('[FeedbackVector]') };
}

describe('feedback allocation in mpx-tunnel', () => {
  it('gives a function called once its feedback vector', () => {
    expect(afterOneCall(true)).toEqual({ set: '--no-lazy-feedback-allocation', vector: true });
  });

  it('is needed: by default V8 gives a function called once none', () => {
    expect(afterOneCall(false).vector).toBe(false);
  });

  it("leaves the operator's --lazy-feedback-allocation alone", () => {
    expect(afterOneCall(true, ['--lazy-feedback-allocation'])).toEqual({ set: 'undefined', vector: false });
  });
});

describe('allocateFeedbackAtFirstCarrier', () => {
  it('acts and logs at the first carrier only', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    // The operator's flag is named, so nothing is set in this test process: only the once-only rule is under test.
    const operator = ['--lazy-feedback-allocation'];
    allocateFeedbackAtFirstCarrier(log, operator);
    allocateFeedbackAtFirstCarrier(log, operator);
    allocateFeedbackAtFirstCarrier(log, operator);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("V8 feedback allocation: as set on node's command line");
  });
});
