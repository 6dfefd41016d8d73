// SPEC §9, receiver side, without sockets: when AckState sends a cumulative
// ACK, on a manual clock and a manual end-of-turn queue.
import { describe, expect, it } from 'vitest';
import { AckState } from '../src/ack-state.js';
import { MAX_ACK_DELAY_MS } from '../src/constants.js';
import { ManualClock } from './hardening.helpers.js';

/** An AckState whose ACKs are recorded and whose end-of-turn callbacks run when told. */
function setup(canSend = () => true): { acks: AckState; clock: ManualClock; sent: number[]; endTurn: () => void } {
  const clock = new ManualClock();
  const sent: number[] = [];
  const turnQueue: (() => void)[] = [];
  const acks = new AckState(
    clock,
    (count) => {
      if (!canSend()) return false;
      sent.push(count);
      return true;
    },
    (fn) => turnQueue.push(fn),
  );
  const endTurn = (): void => {
    for (const fn of turnQueue.splice(0)) fn();
  };
  return { acks, clock, sent, endTurn };
}

describe('AckState (SPEC §9, receiver side)', () => {
  it('acknowledges two or more frames once at the end of the turn, with one cumulative count', () => {
    const { acks, clock, sent, endTurn } = setup();
    acks.onCounted();
    acks.onCounted();
    acks.schedule();
    acks.onCounted();
    acks.schedule(); // already due this turn: not scheduled twice
    expect(sent).toEqual([]);
    expect(clock.pending).toBe(0);
    endTurn();
    expect(sent).toEqual([3]);
    expect(acks.owed).toBe(0);
  });

  it('holds the ACK of a lone frame for MAX_ACK_DELAY_MS on the injected clock', () => {
    const { acks, clock, sent, endTurn } = setup();
    acks.onCounted();
    acks.schedule();
    endTurn();
    expect(sent).toEqual([]);
    expect(clock.pending).toBe(1);
    clock.advance(MAX_ACK_DELAY_MS - 1);
    expect(sent).toEqual([]);
    clock.advance(1);
    expect(sent).toEqual([1]);
    expect(clock.pending).toBe(0);
  });

  it('sends a lone frame’s ACK with the next turn’s batch once a second frame comes; the delay timer then ends without an ACK', () => {
    const { acks, clock, sent, endTurn } = setup();
    acks.onCounted();
    acks.schedule();
    acks.onCounted();
    acks.schedule();
    endTurn();
    expect(sent).toEqual([2]);
    clock.advance(MAX_ACK_DELAY_MS);
    expect(sent).toEqual([2]);
    expect(clock.pending).toBe(0);
  });

  it('flushes at once when an ACK can ride along with another frame, and then owes nothing', () => {
    const { acks, clock, sent, endTurn } = setup();
    acks.onCounted();
    acks.schedule();
    acks.flush();
    expect(sent).toEqual([1]);
    endTurn();
    acks.flush(); // nothing owed: no empty ACK
    clock.advance(MAX_ACK_DELAY_MS);
    expect(sent).toEqual([1]);
    expect(clock.pending).toBe(0);
  });

  it('holds a later lone frame’s ACK for MAX_ACK_DELAY_MS from its own arrival, with one timer armed at a time', () => {
    const { acks, clock, sent } = setup();
    acks.onCounted();
    acks.schedule();
    acks.flush(); // rode along with another frame; the timer stays armed
    clock.advance(MAX_ACK_DELAY_MS - 2);
    acks.onCounted();
    acks.schedule();
    expect(clock.pending).toBe(1);
    clock.advance(2); // the first timer fires early for this frame and waits on
    expect(sent).toEqual([1]);
    expect(clock.pending).toBe(1);
    clock.advance(MAX_ACK_DELAY_MS - 3);
    expect(sent).toEqual([1]);
    clock.advance(1);
    expect(sent).toEqual([1, 2]);
    expect(clock.pending).toBe(0);
  });

  it('keeps frames owed when the carrier can no longer write the ACK', () => {
    let writable = false;
    const { acks, sent } = setup(() => writable);
    acks.onCounted();
    acks.flush();
    expect(sent).toEqual([]);
    expect(acks.owed).toBe(1);
    writable = true;
    acks.flush();
    expect(sent).toEqual([1]);
  });

  it('stop() clears the delay timer so a closed carrier holds no timer', () => {
    const { acks, clock, sent } = setup();
    acks.onCounted();
    acks.schedule();
    expect(clock.pending).toBe(1);
    acks.stop();
    expect(clock.pending).toBe(0);
    clock.advance(MAX_ACK_DELAY_MS * 2);
    expect(sent).toEqual([]);
  });
});
