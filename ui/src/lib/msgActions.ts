// What the message context menu offers, and the merged ("forward as one") message. The server
// still decides (revoke window, admin rights); this keeps the menu honest.
import { ElemType, MsgStatus, type Elem, type Message } from "../tim/types";
import { MemberRole } from "../tim/group";
import { isTips } from "./preview";

/** The server's default revoke window for one's own messages (seconds). */
export const REVOKE_WINDOW = 120;

export interface MsgActions {
  copy: boolean;
  forward: boolean;
  select: boolean;
  delete: boolean;
  revoke: boolean;
}

export interface MenuContext {
  /** Conversation type: 1 C2C, 2 group, 3 system. */
  convType: number;
  /** My role in the group (TIMGroupMemberRole); 0 outside groups or when unknown. */
  myRole: number;
  /** Now, UTC seconds. */
  now: number;
  revokeWindow?: number;
}

/** What the server said of itself (ConfabServerInfo): its recall window for own messages
 *  (seconds; 0 when it did not say) and how far its clock is ahead of this machine's (seconds). */
export interface ServerRules {
  revokeWindow: number;
  skew: number;
}

/** ServerRules from ConfabServerInfo's JSON (`{server_time, revoke_window}`), read at `nowMs`. */
export function serverRules(json: unknown, nowMs: number): ServerRules {
  const o = (typeof json === "object" && json !== null ? json : {}) as { server_time?: unknown; revoke_window?: unknown };
  const time = typeof o.server_time === "number" && o.server_time > 0 ? o.server_time : 0;
  const window = typeof o.revoke_window === "number" && o.revoke_window > 0 ? o.revoke_window : 0;
  return { revokeWindow: window, skew: time ? Math.round(time - nowMs / 1000) : 0 };
}

/** The menu's context in a chat: "now" on the server's clock, and the server's window. */
export function menuContext(convType: number, myRole: number, nowSecs: number, server?: ServerRules): MenuContext {
  return {
    convType,
    myRole,
    now: nowSecs + (server?.skew ?? 0),
    revokeWindow: server && server.revokeWindow > 0 ? server.revokeWindow : undefined,
  };
}

const settled = (m: Message) => m.message_status === MsgStatus.SendSucc || m.message_status === MsgStatus.Imported;

/** The actions for one message. Own messages may be recalled within the window; in groups an
 *  admin or the owner may recall anyone's message at any time (the server's rule). */
export function msgActions(m: Message, c: MenuContext): MsgActions {
  const revoked = m.message_status === MsgStatus.Revoked;
  const tips = isTips(m);
  const hasId = !!m.message_msg_id && m.message_status !== MsgStatus.Sending;
  const text = m.message_elem_array.some((e) => e.elem_type === ElemType.Text && !!e.text_elem_content);
  const normal = !revoked && !tips && c.convType !== 3;
  const sentAt = m.message_server_time || m.message_client_time;
  const window = c.revokeWindow ?? REVOKE_WINDOW;
  const ownInWindow = m.message_is_from_self && c.now - sentAt <= window;
  const admin = c.convType === 2 && c.myRole >= MemberRole.Admin;
  return {
    copy: !revoked && !tips && text,
    forward: normal && settled(m),
    select: normal && settled(m),
    delete: hasId,
    revoke: normal && m.message_status === MsgStatus.SendSucc && (ownInWindow || (admin && !m.message_is_from_self)),
  };
}

/** Messages leave the UI for the SDK without UI-only keys. */
export function stripLocal(m: Message): Message {
  const { local_key: _unused, ...rest } = m;
  void _unused;
  return rest as Message;
}

/** The elements of a message forwarded on its own (the SDK re-sends them as they are). */
export function forwardParam(m: Message): { message_elem_array: Elem[]; message_is_forward_message: boolean } {
  return { message_elem_array: m.message_elem_array, message_is_forward_message: true };
}

/** One merged message carrying `msgs` (oldest first): title, up to four abstract lines
 *  ("sender: text"), the text older clients show, and the messages themselves. */
export function mergeElem(msgs: Message[], title: string, compatible: string, line: (m: Message) => string): Elem {
  const sorted = [...msgs].sort((a, b) => (a.message_server_time || a.message_client_time) - (b.message_server_time || b.message_client_time) || (a.message_seq ?? 0) - (b.message_seq ?? 0));
  return {
    elem_type: ElemType.Merge,
    merge_elem_title: title,
    merge_elem_abstract_array: sorted.slice(0, 4).map((m) => `${m.message_sender}: ${line(m)}`.slice(0, 80)),
    merge_elem_compatible_text: compatible,
    merge_elem_message_array: sorted.map(stripLocal),
  } as Elem;
}
