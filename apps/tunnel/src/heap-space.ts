// One of V8's heap spaces, by name, as `v8.getHeapSpaceStatistics()` reports
// it: what the young-generation cap and the open-storm collections read.
import { getHeapSpaceStatistics, type HeapSpaceInfo } from 'node:v8';

/** The statistics of V8's space `name` (`new_space`, `old_space`, …), or undefined if this V8 has none by that name. */
export function heapSpace(name: string): HeapSpaceInfo | undefined {
  return getHeapSpaceStatistics().find((space) => space.space_name === name);
}
