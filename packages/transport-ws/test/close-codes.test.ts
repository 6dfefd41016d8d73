// Which WebSocket close code a carrier sends when destroyed, and which it treats as a clean end.
import { MpxError, MpxProtocolError, WireCode } from '@mpx/core';
import { describe, expect, it } from 'vitest';
import { CloseCode, closeCodeFor, isCleanClose } from '../src/close-codes.js';

describe('close codes', () => {
  it.each([
    ['an mpx protocol error', new MpxProtocolError(WireCode.FRAME_TOO_LARGE, 'too big'), CloseCode.POLICY_VIOLATION],
    ['MPX_ERR_PROTOCOL', new MpxError('MPX_ERR_PROTOCOL', 'bad'), CloseCode.POLICY_VIOLATION],
    ['MPX_ERR_AUTH_FAILED', new MpxError('MPX_ERR_AUTH_FAILED', 'bad mac'), CloseCode.POLICY_VIOLATION],
    ['MPX_ERR_GOING_AWAY', new MpxError('MPX_ERR_GOING_AWAY', 'bye'), CloseCode.GOING_AWAY],
    ['another mpx error', new MpxError('MPX_ERR_IDLE_TIMEOUT', 'idle'), CloseCode.INTERNAL_ERROR],
    ['a plain error', new Error('boom'), CloseCode.INTERNAL_ERROR],
    ['a non-mpx error that only looks like one', Object.assign(new Error('bad'), { code: 'MPX_ERR_PROTOCOL' }), CloseCode.INTERNAL_ERROR],
  ])('sends %s as close code %i', (_name, err, code) => {
    expect(closeCodeFor(err)).toBe(code);
  });

  it('ends the stream cleanly on 1000, 1001, 1005 and 1006 only', () => {
    const clean = [1000, 1001, 1002, 1003, 1005, 1006, 1008, 1009, 1011, 4000].filter(isCleanClose);
    expect(clean).toEqual([1000, 1001, 1005, 1006]);
  });
});
