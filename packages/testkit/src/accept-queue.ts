// Test helpers around listeners: accepted carriers taken in order, and the
// error a promise rejects with.

/** An `onCarrier` callback that queues what it is handed, and `next()` to take it in order. */
export function acceptQueue<C, I>(): { onCarrier: (carrier: C, info: I) => void; next: () => Promise<{ carrier: C; info: I }> } {
  type Accepted = { carrier: C; info: I };
  const queue: Accepted[] = [];
  const waiters: Array<(accepted: Accepted) => void> = [];
  const onCarrier = (carrier: C, info: I): void => {
    const waiter = waiters.shift();
    if (waiter) waiter({ carrier, info });
    else queue.push({ carrier, info });
  };
  const next = (): Promise<Accepted> => {
    const ready = queue.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
  };
  return { onCarrier, next };
}

/** Resolves with the error a promise rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
