// The primary of --workers sums its workers' live states (mergeStates), keeps
// byte totals that survive a worker's restart (LastingTraffic), and prints
// one set of --stats lines for all workers from them.
import { describe, expect, it } from 'vitest';
import type { LiveState } from '../src/live-page.js';
import { StatsReporter } from '../src/stats.js';
import { LastingTraffic, mergeStates } from '../src/workers.js';

function row(id: number, session: string, bytesIn: number, bytesOut: number): LiveState['carriers'][number] {
  return {
    session,
    id,
    address: `tcp://127.0.0.1:${4000 + id}`,
    group: 'tcp://127.0.0.1:7000',
    weight: 1,
    use: '',
    state: 'open',
    rttMs: null,
    inFlight: null,
    retransmits: null,
    bytesIn,
    bytesOut,
  };
}

function state(sessions: number, streams: number, bytesIn: number, bytesOut: number, carriers: LiveState['carriers']): LiveState {
  return { time: 0, sessions, streams, bytesIn, bytesOut, carriers };
}

describe('mergeStates', () => {
  it('sums sessions, streams and bytes over the workers and tags each carrier with its worker', () => {
    const merged = mergeStates(
      [
        { worker: 0, state: state(1, 2, 100, 1000, [row(1, 'aaaaaaaa', 10, 20), row(2, 'aaaaaaaa', 30, 40)]) },
        { worker: 1, state: state(2, 3, 5, 7, [row(1, 'bbbbbbbb', 1, 2)]) },
      ],
      3,
      () => 42,
    );
    expect(merged).toEqual({
      time: 42,
      sessions: 3,
      streams: 5,
      bytesIn: 105,
      bytesOut: 1007,
      carriers: [
        { ...row(1, 'aaaaaaaa', 10, 20), worker: 0 },
        { ...row(2, 'aaaaaaaa', 30, 40), worker: 0 },
        { ...row(1, 'bbbbbbbb', 1, 2), worker: 1 },
      ],
      workers: { answered: 2, total: 3 },
    });
  });
});

describe('LastingTraffic', () => {
  it('keeps what a restarted worker had counted and counts a silent worker with its last answer', () => {
    const lasting = new LastingTraffic();
    const at = (parts: Array<{ worker: number; generation: number; state: LiveState }>): [number, number] => {
      const s = lasting.apply(mergeStates(parts, 2), parts);
      return [s.bytesIn, s.bytesOut];
    };
    expect(
      at([
        { worker: 0, generation: 1, state: state(1, 1, 100, 200, []) },
        { worker: 1, generation: 2, state: state(1, 1, 10, 20, []) },
      ]),
    ).toEqual([110, 220]);
    // Worker 0 was forked again (generation 3): it counts from 0.
    expect(
      at([
        { worker: 0, generation: 3, state: state(0, 0, 5, 6, []) },
        { worker: 1, generation: 2, state: state(1, 1, 11, 21, []) },
      ]),
    ).toEqual([116, 227]);
    // Worker 1 did not answer.
    expect(at([{ worker: 0, generation: 3, state: state(0, 0, 9, 9, []) }])).toEqual([120, 230]);
  });
});

describe('the primary’s --stats lines', () => {
  it('print one total for all workers and name the worker and session of each carrier', () => {
    const reporter = new StatsReporter(() => 0);
    const merged = {
      ...mergeStates(
        [
          { worker: 0, state: state(1, 1, 0, 4000, [row(3, 'aaaaaaaa', 0, 4000)]) },
          { worker: 1, state: state(1, 1, 0, 2000, [row(3, 'bbbbbbbb', 0, 2000)]) },
        ],
        2,
      ),
      time: 2000,
    };
    expect(reporter.lines(merged)).toEqual([
      'stats carrier #3 tcp://127.0.0.1:4003 (worker 0, session aaaaaaaa): in 0 B/s, out 2.00 kB/s, weight 1',
      'stats carrier #3 tcp://127.0.0.1:4003 (worker 1, session bbbbbbbb): in 0 B/s, out 1.00 kB/s, weight 1',
      'stats total: 2 carriers, 2 streams, 2 sessions, in 0 B/s, out 3.00 kB/s, 2 of 2 workers',
    ]);
  });
});
