import { MsgStatus, type Message, type MessageReceipt, type MsgLocator } from "../tim/types";

/** A message's identity in the list: its id, or the local key of an optimistic send. */
export const msgKey = (m: Message) => m.local_key ?? m.message_msg_id;

const time = (m: Message) => m.message_server_time || m.message_client_time;

/** Oldest first; sending messages (no server time yet) after the others by client time. */
export function sortMessages(list: Message[]): Message[] {
  return [...list].sort((a, b) => time(a) - time(b) || (a.message_seq ?? 0) - (b.message_seq ?? 0));
}

/** Insert or replace messages (by id), keeping order. */
export function upsertMessages(list: Message[], incoming: Message[]): Message[] {
  const byKey = new Map(list.map((m) => [msgKey(m), m]));
  for (const m of incoming) {
    const old = byKey.get(m.message_msg_id);
    // A server update must not undo what we already know (peer read).
    byKey.set(m.message_msg_id, old ? { ...old, ...m, message_is_peer_read: m.message_is_peer_read || old.message_is_peer_read } : m);
  }
  return sortMessages([...byKey.values()]);
}

/** Replace an optimistic message (by local key) with the outcome. */
export function settleLocal(list: Message[], localKey: string, settled: Message): Message[] {
  const rest = list.filter((m) => m.local_key !== localKey && m.message_msg_id !== settled.message_msg_id);
  return sortMessages([...rest, settled]);
}

/** Peer read receipts for a C2C chat mark own sent messages up to that time. */
export function applyReceipts(list: Message[], convId: string, receipts: MessageReceipt[]): Message[] {
  const ts = Math.max(0, ...receipts.filter((r) => r.msg_receipt_conv_id === convId && r.msg_receipt_conv_type === 1).map((r) => r.msg_receipt_time_stamp));
  if (!ts) return list;
  return list.map((m) =>
    m.message_is_from_self && m.message_status === MsgStatus.SendSucc && !m.message_is_peer_read && m.message_server_time > 0 && m.message_server_time <= ts
      ? { ...m, message_is_peer_read: true }
      : m,
  );
}

/** Revoked messages (by seq + rand, or unique id) become "recalled", with who recalled them
 *  when the locator says (TIM 7.4+ `message_revoker_*`). */
export function applyRevokes(list: Message[], locators: MsgLocator[]): Message[] {
  return list.map((m) => {
    const l = locators.find(
      (l) =>
        l.message_locator_conv_id === m.message_conv_id &&
        ((l.message_locator_unique_id && l.message_locator_unique_id === m.message_unique_id) ||
          (l.message_locator_seq === m.message_seq && l.message_locator_rand === m.message_rand)),
    );
    if (!l) return m;
    const r = { ...m, message_status: MsgStatus.Revoked };
    if (l.message_revoker_user_id) {
      r.message_revoker_user_id = l.message_revoker_user_id;
      r.message_revoker_nick_name = l.message_revoker_nick_name;
      r.message_revoker_face_url = l.message_revoker_face_url;
      r.message_revoke_reason = l.message_revoke_reason;
    }
    return r;
  });
}
