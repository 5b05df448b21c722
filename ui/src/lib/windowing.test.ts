import { describe, expect, it } from "vitest";
import { anchorAt, atBottom, firstUnreadIndex, offsets, rowAt, scrollForAnchor, visibleRange } from "./windowing";

const keys = (n: number, p = "m") => Array.from({ length: n }, (_, i) => `${p}${i}`);

describe("windowing", () => {
  it("sums measured heights, estimating the rest", () => {
    const t = offsets(["a", "b", "c"], new Map([["b", 100]]), 50);
    expect([...t]).toEqual([0, 50, 150, 200]);
  });

  it("finds the row at a position", () => {
    const t = offsets(keys(4), new Map(), 10);
    expect(rowAt(t, 0)).toBe(0);
    expect(rowAt(t, 9.9)).toBe(0);
    expect(rowAt(t, 10)).toBe(1);
    expect(rowAt(t, 35)).toBe(3);
    expect(rowAt(t, 1000)).toBe(3);
    expect(rowAt(offsets([], new Map(), 10), 5)).toBe(0);
  });

  it("renders only rows near the viewport of 20,000", () => {
    const k = keys(20000);
    const h = new Map(k.map((x, i) => [x, i % 2 ? 80 : 40]));
    const t = offsets(k, h, 60);
    expect(t[20000]).toBe(20000 * 60);
    // Rows 1000.. start at 1000*60 = 60000; a 600px viewport with 120px overscan.
    const r = visibleRange(t, 60000, 600, 120);
    expect(r.start).toBe(998); // 59880 lies in row 998 (59880..59920)
    expect(t[r.end - 1]).toBeLessThanOrEqual(60000 + 600 + 120);
    expect(t[r.end]).toBeGreaterThan(60000 + 600 + 120);
    expect(r.end - r.start).toBeLessThan(20);
  });

  it("clamps at both ends", () => {
    const t = offsets(keys(5), new Map(), 100);
    expect(visibleRange(t, 0, 250, 0)).toEqual({ start: 0, end: 3 });
    expect(visibleRange(t, 400, 250, 50)).toEqual({ start: 3, end: 5 });
    expect(visibleRange(offsets([], new Map(), 1), 0, 100, 10)).toEqual({ start: 0, end: 0 });
  });

  it("keeps the anchor when older rows are prepended", () => {
    const k = keys(10);
    const t = offsets(k, new Map(), 50);
    const a = anchorAt(k, t, 130)!; // row 2, 30px in
    expect(a).toEqual({ key: "m2", delta: 30 });
    const older = [...keys(5, "o"), ...k];
    const t2 = offsets(older, new Map([["o0", 200]]), 50); // 200 + 4*50 = 400 above
    expect(scrollForAnchor(older, t2, a)).toBe(400 + 100 + 30);
  });

  it("keeps the anchor when a row above changes height, and loses it when the row goes", () => {
    const k = keys(4);
    const a = anchorAt(k, offsets(k, new Map(), 50), 160)!; // row 3, 10px in
    expect(scrollForAnchor(k, offsets(k, new Map([["m0", 90]]), 50), a)).toBe(200);
    expect(scrollForAnchor(["m0"], offsets(["m0"], new Map(), 50), a)).toBeNull();
    expect(anchorAt([], offsets([], new Map(), 50), 0)).toBeNull();
  });

  it("knows the bottom", () => {
    expect(atBottom(400, 600, 1000)).toBe(true);
    expect(atBottom(350, 600, 1000)).toBe(false);
  });

  it("finds the first unread message once enough history is loaded", () => {
    expect(firstUnreadIndex(keys(10), "m9", 3)).toBe(7);
    expect(firstUnreadIndex([...keys(10), "new"], "m9", 3)).toBe(7); // later arrivals do not move it
    expect(firstUnreadIndex(keys(10), "m9", 11)).toBe(-1); // page older history first
    expect(firstUnreadIndex(keys(10), "m9", 0)).toBe(-1);
    expect(firstUnreadIndex(keys(10), null, 3)).toBe(-1);
  });
});
