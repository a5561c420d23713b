/**
 * Prefetching: keep the next item(s) of an async producer in flight while the consumer works on
 * the current one. Decoding and resizing run through the data layer's async readers (file I/O and
 * codec work proceed while the previous item is converted into tensors or a step runs), so the
 * training device does not wait for input.
 */

/**
 * Yields `load(i)` for i = 0..count-1 in order, with up to `depth` loads started ahead.
 * A failed load rejects when its turn comes (not earlier), naming nothing itself: `load`'s errors
 * should name their file.
 */
export async function* prefetch<T>(
  count: number,
  load: (i: number) => Promise<T>,
  depth = 2,
): AsyncGenerator<T> {
  const inflight: Promise<T>[] = [];
  let next = 0;
  const fill = () => {
    while (inflight.length < depth && next < count) {
      const p = load(next++);
      // Avoid an unhandled-rejection warning while it waits in the queue; awaited below.
      p.catch(() => undefined);
      inflight.push(p);
    }
  };
  fill();
  while (inflight.length) {
    const p = inflight.shift() as Promise<T>;
    fill();
    yield await p;
  }
}

/**
 * A batch loader over an index sequence: `make(batchIndex)` builds batch k (e.g. gathers items
 * from a cache and resizes missing ones) and the loader starts batch k+1 as soon as batch k is
 * handed out, so its async part overlaps the step that consumes batch k.
 */
export class BatchPrefetcher<T> {
  private pending: Promise<T> | null = null;
  private k: number;

  constructor(
    private readonly make: (k: number) => Promise<T>,
    start = 0,
    private readonly end = Infinity,
  ) {
    this.k = start;
  }

  async next(): Promise<T | null> {
    if (this.k >= this.end) return null;
    const current = this.pending ?? this.make(this.k);
    this.k++;
    this.pending = this.k < this.end ? this.make(this.k) : null;
    this.pending?.catch(() => undefined);
    return current;
  }
}
