// The arithmetic of a virtual list (no DOM): each row's height, measured or
// estimated, and the offsets where rows start, so the list can render only the
// rows near the view and stand in for the others with padding of the right size.

/** How a row scrolled to is placed: in the middle of the view, or moved only as far as it takes to show it whole. */
export type RowAlign = "center" | "nearest";

/** Row heights and their running offsets; offsets are recomputed lazily from the first changed row. */
export class VirtualLayout {
  #sizes = new Float64Array(64);
  /** offsets[i] is where row i starts; offsets[count] is the height of all rows. */
  #offsets = new Float64Array(65);
  #count = 0;
  /** Offsets from this row on are stale. */
  #staleFrom = 0;

  get count(): number {
    return this.#count;
  }

  /** Starts over with `count` rows sized by `sizeOf`. */
  reset(count: number, sizeOf: (index: number) => number): void {
    this.update(count, 0, 0, sizeOf);
  }

  /**
   * Now `count` rows, of which the first `head` and the last `tail` are the
   * rows that were first and last before (so they keep their sizes); the
   * others are sized by `sizeOf`. A row added at the end, or rows put above,
   * cost a copy rather than a look-up per row.
   */
  update(count: number, head: number, tail: number, sizeOf: (index: number) => number): void {
    const before = this.#count;
    head = Math.min(head, count, before);
    tail = Math.min(tail, count - head, before - head);
    let sizes = this.#sizes;
    if (count > sizes.length) {
      sizes = new Float64Array(Math.max(count, Math.ceil(sizes.length * 1.5)));
      sizes.set(this.#sizes.subarray(0, head));
      this.#offsets = new Float64Array(sizes.length + 1);
      this.#staleFrom = 0;
    }
    if (tail > 0) sizes.set(this.#sizes.subarray(before - tail, before), count - tail);
    this.#sizes = sizes;
    for (let i = head; i < count - tail; i++) sizes[i] = sizeOf(i);
    this.#count = count;
    this.#staleFrom = Math.min(this.#staleFrom, head);
  }

  size(index: number): number {
    return this.#sizes[index];
  }

  /** Sets one row's height; true if it changed. */
  setSize(index: number, size: number): boolean {
    if (index < 0 || index >= this.#count || this.#sizes[index] === size) return false;
    this.#sizes[index] = size;
    if (index < this.#staleFrom) this.#staleFrom = index;
    return true;
  }

  /** Where row `index` starts (`count`: the end of the last row). */
  offset(index: number): number {
    this.#settle();
    return this.#offsets[Math.max(0, Math.min(index, this.#count))];
  }

  get total(): number {
    return this.offset(this.#count);
  }

  /** The row at height `y` (clamped to the first or last row); 0 when there are none. */
  indexAt(y: number): number {
    this.#settle();
    let low = 0;
    let high = this.#count - 1;
    if (high < 0) return 0;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.#offsets[mid] <= y) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /** The rows [start, end) that meet the band [top, bottom). */
  range(top: number, bottom: number): { start: number; end: number } {
    if (this.#count === 0) return { start: 0, end: 0 };
    const start = this.indexAt(top);
    const end = Math.max(start + 1, this.indexAt(Math.max(top, bottom - 0.001)) + 1);
    return { start, end: Math.min(end, this.#count) };
  }

  #settle(): void {
    if (this.#staleFrom > this.#count) return;
    let at = this.#offsets[this.#staleFrom];
    if (this.#staleFrom === 0) at = this.#offsets[0] = 0;
    for (let i = this.#staleFrom; i < this.#count; i++) {
      at += this.#sizes[i];
      this.#offsets[i + 1] = at;
    }
    this.#staleFrom = this.#count + 1;
  }
}

/**
 * The index of the item with `key`, looking outwards from `near` (where it
 * was): rows put above or below it move it only a little, so this is usually
 * quick, and it never misses; -1 if it is gone.
 */
export function findKey<T>(items: readonly T[], keyOf: (item: T) => string, key: string, near: number): number {
  const n = items.length;
  const from = Math.max(0, Math.min(near, n - 1));
  for (let d = 0; d < n; d++) {
    const below = from + d;
    const above = from - d - 1;
    if (below < n && keyOf(items[below]) === key) return below;
    if (above >= 0 && keyOf(items[above]) === key) return above;
    if (below >= n && above < 0) break;
  }
  return -1;
}
