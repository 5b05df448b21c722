import { ConvEvent, convKey, type ConvInfo } from "../tim/types";

export type ConvAction =
  | { type: "load"; convs: ConvInfo[] }
  | { type: "event"; convEvent: number; convs: ConvInfo[] }
  | { type: "localRead"; key: string }
  | { type: "clear" };

/** When a conversation last changed: its last message, draft or activity. */
export function convTime(c: ConvInfo): number {
  const m = c.conv_last_msg;
  const msgTime = m ? m.message_server_time || m.message_client_time : 0;
  const draftTime = c.conv_is_has_draft && c.conv_draft ? c.conv_draft.draft_edit_time : 0;
  return Math.max(msgTime, draftTime, c.conv_active_time || 0);
}

/** Pinned first, then most recent first; stable by key. */
export function sortConvs(list: ConvInfo[]): ConvInfo[] {
  return [...list].sort((a, b) => {
    const p = Number(!!b.conv_is_pinned) - Number(!!a.conv_is_pinned);
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
