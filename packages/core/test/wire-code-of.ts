// For tests: the wire code a call fails with.
import { MpxProtocolError } from '../src/errors.js';

/** The wire code of the MpxProtocolError `fn` throws, or undefined when it returns. Other errors propagate. */
export function wireCodeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof MpxProtocolError) return err.wireCode;
    throw err;
  }
  return undefined;
}
