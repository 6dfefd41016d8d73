// A storm of new streams gets a full collection each time the old generation
// grew by OLD_GROWTH_BYTES since the last one; streams opened without such
// growth (or while a collection runs) get none. The heap is a number here.
import { describe, expect, it } from 'vitest';
import { OLD_GROWTH_BYTES, OPENS_PER_CHECK, OpenStorm } from '../src/open-storm.js';

function rig(): { storm: OpenStorm; heap: { used: number }; collections: Array<() => void> } {
  const heap = { used: 8e6 };
  const collections: Array<() => void> = [];
  const collect = (): Promise<void> => new Promise<void>((resolve) => collections.push(resolve));
  return { storm: new OpenStorm(collect, () => heap.used), heap, collections };
}

function open(storm: OpenStorm, n: number): void {
  for (let i = 0; i < n; i++) storm.opened();
}

describe('OpenStorm', () => {
  it('collects once the old generation grew by the threshold over a check of new streams', () => {
    const { storm, heap, collections } = rig();
    heap.used += OLD_GROWTH_BYTES;
    open(storm, OPENS_PER_CHECK - 1);
    expect(collections).toHaveLength(0);
    open(storm, 1);
    expect(collections).toHaveLength(1);
  });

  it('does not collect for streams that did not grow the heap enough', () => {
    const { storm, heap, collections } = rig();
    heap.used += OLD_GROWTH_BYTES - 1;
    open(storm, 10 * OPENS_PER_CHECK);
    expect(collections).toHaveLength(0);
  });

  it('starts no second collection while one runs, and measures growth from its end', async () => {
    const { storm, heap, collections } = rig();
    heap.used += OLD_GROWTH_BYTES;
    open(storm, OPENS_PER_CHECK);
    heap.used += OLD_GROWTH_BYTES;
    open(storm, 4 * OPENS_PER_CHECK);
    expect(collections).toHaveLength(1);
    heap.used = 20e6; // what the collection left
    collections[0]?.();
    await new Promise((resolve) => setImmediate(resolve));
    heap.used = 20e6 + OLD_GROWTH_BYTES - 1;
    open(storm, OPENS_PER_CHECK);
    expect(collections).toHaveLength(1);
    heap.used = 20e6 + OLD_GROWTH_BYTES;
    open(storm, OPENS_PER_CHECK);
    expect(collections).toHaveLength(2);
  });

  it('measures growth from the lowest heap seen when V8 collected by itself', () => {
    const { storm, heap, collections } = rig();
    heap.used = 5e6;
    open(storm, OPENS_PER_CHECK);
    heap.used = 5e6 + OLD_GROWTH_BYTES;
    open(storm, OPENS_PER_CHECK);
    expect(collections).toHaveLength(1);
  });
});
