// Windowing math for the message list: only rows near the viewport are rendered. Rows have
// measured heights (an estimate until measured); the list keeps an *anchor* (a row and the
// distance of the viewport's top into it) so that rows added above, or rows above changing
// height, do not move what the person is looking at.

/** Prefix sums: `out[i]` is the top of row i, `out[n]` the total height. */
export function offsets(keys: readonly string[], heights: ReadonlyMap<string, number>, estimate: number): Float64Array {
  const out = new Float64Array(keys.length + 1);
  for (let i = 0; i < keys.length; i++) out[i + 1] = out[i] + (heights.get(keys[i]) ?? estimate);
  return out;
}

/** The row containing position `y` (clamped to the rows; 0 for an empty list). */
export function rowAt(tops: Float64Array, y: number): number {
  const n = tops.length - 1;
  if (n <= 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (tops[mid] <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Rows [start, end) that intersect the viewport widened by `overscan` pixels on each side. */
export function visibleRange(tops: Float64Array, scrollTop: number, viewport: number, overscan: number): { start: number; end: number } {
  const n = tops.length - 1;
  if (n <= 0) return { start: 0, end: 0 };
  const start = rowAt(tops, Math.max(0, scrollTop - overscan));
  const bottom = scrollTop + viewport + overscan;
  let end = rowAt(tops, bottom) + 1;
  if (end > n) end = n;
  return { start, end };
}

export interface Anchor {
  key: string;
  /** How far the viewport's top is below the row's top. */
  delta: number;
}

/** The anchor for a scroll position: the row at the viewport's top. */
export function anchorAt(keys: readonly string[], tops: Float64Array, scrollTop: number): Anchor | null {
  if (!keys.length) return null;
  const i = rowAt(tops, scrollTop);
  return { key: keys[i], delta: scrollTop - tops[i] };
}

/** The scroll position that puts the anchor back where it was, or null when its row is gone. */
export function scrollForAnchor(keys: readonly string[], tops: Float64Array, anchor: Anchor): number | null {
  const i = keys.indexOf(anchor.key);
  return i < 0 ? null : tops[i] + anchor.delta;
}

/** Whether the viewport is (nearly) at the bottom. */
export const atBottom = (scrollTop: number, viewport: number, total: number, slack = 40) => total - scrollTop - viewport <= slack;

/** The index of the first unread message: the conversation opened with `unread` unread
 *  messages, the newest of them `newestKey`. -1 while it is not loaded yet (page older
 *  history), or when there is none. */
export function firstUnreadIndex(keys: readonly string[], newestKey: string | null, unread: number): number {
  if (!newestKey || unread <= 0) return -1;
  const last = keys.indexOf(newestKey);
  if (last < 0) return -1;
  const i = last - unread + 1;
  return i >= 0 ? i : -1;
}
