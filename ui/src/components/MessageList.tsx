import { forwardRef, useCallback, useEffect, useImperativeHandle, useLayoutEffect, useMemo, useReducer, useRef, type ReactNode } from "react";
import { anchorAt, atBottom, offsets, scrollForAnchor, visibleRange, type Anchor } from "../lib/windowing";

/** Rows not measured yet count as this tall. */
const ESTIMATE = 64;
/** Pixels rendered beyond each edge of the viewport. */
const OVERSCAN = 600;
/** Ask for older history when the viewport's top is this close to the first row. */
const NEAR_TOP = 400;

export interface MessageListHandle {
  scrollToBottom: () => void;
  /** Put the row with this key near the top of the viewport (once it is rendered, if it is
   *  not in the list yet). */
  scrollToKey: (key: string) => void;
  isAtBottom: () => boolean;
}

/** A windowed list: only rows near the viewport are in the DOM, each measured once shown.
 *  What the person looks at stays put when rows are added above (older history) or rows above
 *  change height; at the bottom it sticks to the bottom. */
export const MessageList = forwardRef<MessageListHandle, {
  keys: string[];
  renderRow: (i: number) => ReactNode;
  head?: ReactNode;
  onNearTop: () => void;
  /** Newer messages exist beyond the last row (the chat dropped them to bound its memory): the
   *  list is then never "at the bottom", and asks for them as the bottom comes near. */
  hasNewer?: boolean;
  onNearBottom?: () => void;
  onAtBottom: (b: boolean) => void;
  onRange?: (start: number, end: number) => void;
  /** How many messages are loaded (shown as data-count for tests). */
  total: number;
}>(function MessageList({ keys, renderRow, head, onNearTop, hasNewer = false, onNearBottom, onAtBottom, onRange, total }, ref) {
  const scroller = useRef<HTMLDivElement>(null);
  const headRef = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [version, bump] = useReducer((x: number) => x + 1, 0);
  const [, rerender] = useReducer((x: number) => x + 1, 0);
  const stick = useRef(true);
  const anchor = useRef<Anchor | null>(null);
  const pendingKey = useRef<string | null>(null);
  const view = useRef({ top: 0, height: 600 });
  const shown = useRef({ start: 0, end: 0 });
  const cb = useRef({ onNearTop, onNearBottom, onAtBottom, onRange, hasNewer });
  cb.current = { onNearTop, onNearBottom, onAtBottom, onRange, hasNewer };

  const tops = useMemo(() => offsets(keys, heights.current, ESTIMATE), [keys, version]); // eslint-disable-line react-hooks/exhaustive-deps
  // Heights of rows the chat has dropped are forgotten with them.
  useEffect(() => {
    if (heights.current.size <= keys.length * 2 + 200) return;
    const live = new Set(keys);
    for (const k of heights.current.keys()) if (!live.has(k)) heights.current.delete(k);
  }, [keys]);
  const range = visibleRange(tops, view.current.top, view.current.height, OVERSCAN);
  shown.current = range;

  const headH = () => headRef.current?.offsetHeight ?? 0;

  // Measure rows as they appear or change size; one observer for all.
  const observer = useMemo(
    () =>
      typeof ResizeObserver === "undefined"
        ? null
        : new ResizeObserver((entries) => {
            let changed = false;
            for (const e of entries) {
              const el = e.target as HTMLElement;
              const k = el.dataset.key;
              if (!k || !el.isConnected) continue;
              const h = el.offsetHeight;
              if (heights.current.get(k) !== h) {
                heights.current.set(k, h);
                changed = true;
              }
            }
            if (changed) bump();
          }),
    [],
  );
  useEffect(() => () => observer?.disconnect(), [observer]);
  const measure = useCallback(
    (el: HTMLDivElement | null) => {
      if (!el || !observer) return;
      const k = el.dataset.key!;
      if (!heights.current.has(k)) heights.current.set(k, el.offsetHeight);
      observer.observe(el);
      // Rows scrolled out of the window stop being observed (React 19 ref cleanup).
      return () => observer.unobserve(el);
    },
    [observer],
  );

  // After every change of rows or heights: stick to the bottom, or keep the anchor in place.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (pendingKey.current && keys.includes(pendingKey.current)) {
      stick.current = false;
      anchor.current = { key: pendingKey.current, delta: -48 };
      pendingKey.current = null;
    }
    if (stick.current) {
      el.scrollTop = el.scrollHeight;
    } else if (anchor.current) {
      const y = scrollForAnchor(keys, tops, anchor.current);
      if (y !== null && Math.abs(el.scrollTop - (y + headH())) >= 1) el.scrollTop = y + headH();
    }
    view.current = { top: el.scrollTop - headH(), height: el.clientHeight };
    const r = visibleRange(tops, view.current.top, view.current.height, OVERSCAN);
    if (r.start !== shown.current.start || r.end !== shown.current.end) rerender();
    cb.current.onRange?.(r.start, r.end);
  }, [keys, tops]); // eslint-disable-line react-hooks/exhaustive-deps

  // The viewport's own size.
  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      view.current.height = el.clientHeight;
      if (stick.current) el.scrollTop = el.scrollHeight;
      rerender();
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const top = el.scrollTop - headH();
    view.current = { top, height: el.clientHeight };
    const edge = atBottom(el.scrollTop, el.clientHeight, el.scrollHeight);
    const bottom = edge && !cb.current.hasNewer;
    if (bottom !== stick.current) cb.current.onAtBottom(bottom);
    stick.current = bottom;
    anchor.current = anchorAt(keys, tops, Math.max(0, top));
    const r = visibleRange(tops, top, el.clientHeight, OVERSCAN);
    if (r.start !== shown.current.start || r.end !== shown.current.end) {
      rerender();
      cb.current.onRange?.(r.start, r.end);
    }
    if (top < NEAR_TOP) cb.current.onNearTop();
    if (cb.current.hasNewer && el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_TOP) cb.current.onNearBottom?.();
  };

  useImperativeHandle(ref, () => ({
    scrollToBottom: () => {
      const el = scroller.current;
      if (!el) return;
      stick.current = true;
      el.scrollTop = el.scrollHeight;
      cb.current.onAtBottom(true);
    },
    scrollToKey: (key: string) => {
      const el = scroller.current;
      if (!el) return;
      const i = keys.indexOf(key);
      if (i < 0) {
        pendingKey.current = key;
        return;
      }
      stick.current = false;
      anchor.current = { key, delta: -48 };
      el.scrollTop = Math.max(0, tops[i] - 48 + headH());
      view.current = { top: el.scrollTop - headH(), height: el.clientHeight };
      rerender();
    },
    isAtBottom: () => stick.current,
  }));

  const rows: ReactNode[] = [];
  for (let i = range.start; i < range.end; i++) {
    rows.push(
      <div key={keys[i]} data-key={keys[i]} ref={measure} className="vrow">
        {renderRow(i)}
      </div>,
    );
  }
  return (
    <div className="messages" ref={scroller} onScroll={onScroll} role="log" aria-live="polite" data-testid="messages" data-count={total} data-rendered={range.end - range.start}>
      <div ref={headRef}>{head}</div>
      <div style={{ height: tops[range.start] }} aria-hidden />
      {rows}
      <div style={{ height: tops[keys.length] - tops[range.end] }} aria-hidden />
    </div>
  );
});
