// The join-request inbox: the pendencies this user decides (TIMGroupGetPendencyList), which are
// selected, and the unread count shown as the sidebar badge.
import { PendencyHandled, type GroupPendency, type GroupPendencyResult } from "../tim/group";

export interface PendencyState {
  items: GroupPendency[];
  /** Open pendencies added after the read time (the badge). */
  unread: number;
  readTime: number;
  /** Keys of the selected (open) pendencies. */
  selected: string[];
  /** Where the next page starts (`group_pendency_result_next_start_time`); 0 = no more. */
  next: number;
}

export type PendencyAction =
  | { type: "load"; result: GroupPendencyResult; append?: boolean }
  | { type: "toggle"; key: string }
  | { type: "selectAll"; on: boolean }
  | { type: "handled"; keys: string[]; accept: boolean; message: string }
  | { type: "read"; time: number };

export const initialPendencies: PendencyState = { items: [], unread: 0, readTime: 0, selected: [], next: 0 };

export const isOpen = (p: GroupPendency) => p.group_pendency_handled === PendencyHandled.NotHandled;

/** `group_pendency_add_time` in seconds (the seed's sample shows milliseconds). */
export const addSecs = (p: GroupPendency) =>
  p.group_pendency_add_time > 1e11 ? Math.floor(p.group_pendency_add_time / 1000) : p.group_pendency_add_time;

const countUnread = (items: GroupPendency[], readTime: number) =>
  items.filter((p) => isOpen(p) && addSecs(p) > readTime).length;

export function pendencyReducer(s: PendencyState, a: PendencyAction): PendencyState {
  switch (a.type) {
    case "load": {
      const r = a.result;
      const incoming = r.group_pendency_result_pendency_array ?? [];
      const byKey = new Map<string, GroupPendency>();
      for (const p of a.append ? s.items : []) byKey.set(p.group_pendency_key, p);
      for (const p of incoming) byKey.set(p.group_pendency_key, p);
      const items = [...byKey.values()].sort((x, y) => addSecs(y) - addSecs(x));
      const open = new Set(items.filter(isOpen).map((p) => p.group_pendency_key));
      return {
        items,
        unread: r.group_pendency_result_unread_num ?? 0,
        readTime: r.group_pendency_result_read_time_seq ?? 0,
        selected: s.selected.filter((k) => open.has(k)),
        next: r.group_pendency_result_next_start_time ?? 0,
      };
    }
    case "toggle": {
      const p = s.items.find((x) => x.group_pendency_key === a.key);
      if (!p || !isOpen(p)) return s;
      const on = s.selected.includes(a.key);
      return { ...s, selected: on ? s.selected.filter((k) => k !== a.key) : [...s.selected, a.key] };
    }
    case "selectAll":
      return { ...s, selected: a.on ? s.items.filter(isOpen).map((p) => p.group_pendency_key) : [] };
    case "handled": {
      const done = new Set(a.keys);
      let unread = s.unread;
      const items = s.items.map((p) => {
        if (!done.has(p.group_pendency_key) || !isOpen(p)) return p;
        if (addSecs(p) > s.readTime) unread--;
        return {
          ...p,
          group_pendency_handled: PendencyHandled.OperatorHandled,
          group_pendency_handle_result: a.accept ? 1 : 0,
          group_pendency_approval_msg: a.message,
        };
      });
      return { ...s, items, unread: Math.max(0, unread), selected: s.selected.filter((k) => !done.has(k)) };
    }
    case "read": {
      const readTime = Math.max(s.readTime, a.time);
      // Unread ones not loaded here (newer than the list) stay counted.
      const unlisted = Math.max(0, s.unread - countUnread(s.items, s.readTime));
      return { ...s, readTime, unread: unlisted + countUnread(s.items, readTime) };
    }
  }
}

/** The time to report read so that every listed pendency counts as read. */
export function readUpTo(s: PendencyState): number {
  return s.items.reduce((t, p) => Math.max(t, addSecs(p)), 0);
}

/** The badge text: nothing for 0, "99+" above 99. */
export function badgeText(n: number): string {
  return n <= 0 ? "" : n > 99 ? "99+" : String(n);
}
