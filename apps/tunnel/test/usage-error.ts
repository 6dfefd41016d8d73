// For tests of argument checking: the UsageError a call throws.
import { UsageError } from '../src/errors.js';

/** Runs `fn` and returns the UsageError it throws (with `code`, when given); anything else fails the test. */
export function usageErrorOf(fn: () => unknown, code?: string): UsageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError && (code === undefined || err.code === code)) return err;
    throw err;
  }
  throw new Error('expected a UsageError');
}
