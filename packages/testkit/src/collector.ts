// V8's full garbage collection for tests that measure what stays alive (heap
// per connection, what a FinalizationRegistry sees): exposed at run time, so
// no test runner needs node's --expose-gc.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** One full, synchronous garbage collection. */
export function fullGc(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
