// The scale-out scenario's bound on what --workers 2 can gain, from CPU per GB.
import { describe, expect, it } from 'vitest';
import { rigBounds, type CpuUse } from '../src/scenarios/scale-out.js';

/** One second that moved 1 GB with the servers on `server` cores and everything else of the bench on `rest`. */
function window(server: number, rest: number): CpuUse {
  return { seconds: 1, bytes: 1e9, server, rest, front: 0, machine: server + rest, others: 0 };
}

describe('rigBounds', () => {
  it('gives a ceiling of 2 when the server alone is the limit, and 1 when the clients already fill the cores', () => {
    expect(rigBounds(window(2, 0), 2)).toEqual({ oneServer: 0.5e9, machine: 1e9, ceiling: 2 });
    const filled = rigBounds(window(2, 5), 2);
    expect(filled.machine).toBeCloseTo(2e9 / 7);
    expect(filled.ceiling).toBe(1);
  });

  it('gives the machine bound over one server bound in between', () => {
    expect(rigBounds(window(2, 1), 2).ceiling).toBeCloseTo(4 / 3);
  });
});
