import { ConvEvent, convKey, type ConvInfo, type Message } from "../tim/types";

export type ConvAction =
  | { type: "load"; convs: ConvInfo[] }
  | { type: "event"; convEvent: number; convs: ConvInfo[] }
  | { type: "localRead"; key: string }
  | { type: "clear" };

/** TIM sets bit 62 of `conv_active_time` for a pinned conversation (a sort key, not a time). */
export const PINNED_BIT = 2 ** 62;

export function isPinned(c: ConvInfo): boolean {
  return !!c.conv_is_pinned || (c.conv_active_time || 0) >= PINNED_BIT;
}

/** "Do not receive" (1) or "receive without notification" (2): no badge count, no notification. */
export function isMuted(c: ConvInfo): boolean {
  return c.conv_recv_opt === 1 || c.conv_recv_opt === 2;
}

/** When a conversation last changed: its last message, draft or activity. */
export function convTime(c: ConvInfo): number {
  const m = c.conv_last_msg;
  const msgTime = m ? m.message_server_time || m.message_client_time : 0;
  const draftTime = c.conv_is_has_draft && c.conv_draft ? c.conv_draft.draft_edit_time : 0;
  // A pinned conversation's activity time carries the pin bit, and past 2^53 JavaScript numbers
  // lose the low bits: the time is not recoverable from it, so it is left out.
  const active = (c.conv_active_time || 0) >= PINNED_BIT ? 0 : c.conv_active_time || 0;
  return Math.max(msgTime, draftTime, active);
}

/** Pinned first, then most recent first; stable by key. */
export function sortConvs(list: ConvInfo[]): ConvInfo[] {
  return [...list].sort((a, b) => {
    const p = Number(isPinned(b)) - Number(isPinned(a));
    if (p) return p;
    const t = convTime(b) - convTime(a);
    if (t) return t;
    return convKey(a) < convKey(b) ? -1 : 1;
  });
}

export function convsReducer(state: ConvInfo[], a: ConvAction): ConvInfo[] {
  switch (a.type) {
    case "load":
      return sortConvs(a.convs);
    case "clear":
      return [];
    case "localRead":
      return state.map((c) => (convKey(c) === a.key ? { ...c, conv_unread_num: 0 } : c));
    case "event": {
      if (a.convEvent === ConvEvent.Del) {
        const gone = new Set(a.convs.map(convKey));
        return state.filter((c) => !gone.has(convKey(c)));
      }
      if (a.convEvent === ConvEvent.Add || a.convEvent === ConvEvent.Update) {
        const byKey = new Map(state.map((c) => [convKey(c), c]));
        for (const c of a.convs) byKey.set(convKey(c), { ...byKey.get(convKey(c)), ...c });
        return sortConvs([...byKey.values()]);
      }
      return state;
    }
  }
}

export function totalUnread(list: ConvInfo[]): number {
  return list.reduce((n, c) => n + (c.conv_recv_opt ? 0 : c.conv_unread_num || 0), 0);
}

export type ConvMenuAction = "pin" | "unpin" | "recv0" | "recv2" | "recv1" | "delete";

/** The context menu of a conversation: pin or unpin, the receive options it is not set to,
 * delete. The system conversation (type 3) can only be deleted. */
export function convMenu(c: ConvInfo): ConvMenuAction[] {
  if (c.conv_type !== 1 && c.conv_type !== 2) return ["delete"];
  const out: ConvMenuAction[] = [isPinned(c) ? "unpin" : "pin"];
  const opt = c.conv_recv_opt ?? 0;
  for (const [o, a] of [[0, "recv0"], [2, "recv2"], [1, "recv1"]] as const) if (o !== opt) out.push(a);
  out.push("delete");
  return out;
}

/** What the user typed, as TIM search keywords: words split on spaces, at most 5. */
export function searchKeywords(input: string): string[] {
  return input.split(/\s+/).map((w) => w.trim()).filter(Boolean).slice(0, 5);
}

export interface Segment { text: string; hit: boolean }

/** `text` cut into runs that match one of `keywords` (case-insensitive) and runs that do not. */
export function highlight(text: string, keywords: string[]): Segment[] {
  const ks = keywords.filter(Boolean).map((k) => k.toLowerCase());
  if (!ks.length || !text) return text ? [{ text, hit: false }] : [];
  const lower = text.toLowerCase();
  const out: Segment[] = [];
  let i = 0;
  let plain = "";
  while (i < text.length) {
    const k = ks.filter((k) => lower.startsWith(k, i)).sort((a, b) => b.length - a.length)[0];
    if (k) {
      if (plain) out.push({ text: plain, hit: false });
      plain = "";
      out.push({ text: text.slice(i, i + k.length), hit: true });
      i += k.length;
    } else {
      plain += text[i];
      i += 1;
    }
  }
  if (plain) out.push({ text: plain, hit: false });
  return out;
}

/** The text of a message that search can match (text elements; other kinds by their preview). */
export function messageText(m: Message): string {
  return m.message_elem_array
    .map((e) => (e as { text_elem_content?: string }).text_elem_content ?? "")
    .filter(Boolean)
    .join(" ");
}

export interface SearchHit { msg: Message; segments: Segment[] }
export interface SearchGroup { key: string; conv_id: string; conv_type: number; total: number; hits: SearchHit[] }

/** TIMMsgSearchLocalMessages' result as groups per conversation, in the SDK's order (newest
 * hit first), each message cut into highlighted runs. */
export function searchGroups(result: MessageSearchResult | null | undefined, keywords: string[], perConv = 3): SearchGroup[] {
  const items = result?.msg_search_result_item_array ?? [];
  return items.map((it) => ({
    key: convKey({ conv_id: it.msg_search_result_item_conv_id, conv_type: it.msg_search_result_item_conv_type }),
    conv_id: it.msg_search_result_item_conv_id,
    conv_type: it.msg_search_result_item_conv_type,
    total: it.msg_search_result_item_total_message_count,
    hits: (it.msg_search_result_item_message_array ?? [])
      .slice(0, perConv)
      .map((msg) => ({ msg, segments: highlight(messageText(msg), keywords) })),
  }));
}

export interface MessageSearchResult {
  msg_search_result_total_count: number;
  msg_search_result_item_array: {
    msg_search_result_item_conv_id: string;
    msg_search_result_item_conv_type: number;
    msg_search_result_item_total_message_count: number;
    msg_search_result_item_message_array: Message[];
  }[];
}

/** The rows of a list of `n` rows of `rowHeight` px to render for a viewport at `scrollTop` of
 * `height` px, with `overscan` extra rows on each side: [start, end). */
export function visibleRange(scrollTop: number, height: number, rowHeight: number, n: number, overscan = 8): [number, number] {
  if (n <= 0 || rowHeight <= 0) return [0, Math.max(0, n)];
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, height)) / rowHeight);
  return [Math.max(0, Math.min(n, first - overscan)), Math.min(n, last + overscan)];
}
