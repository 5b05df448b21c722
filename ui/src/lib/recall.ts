// The centred line a recalled message leaves in the chat: who recalled it (TIM 7.x
// message_revoker_user_id) and whose it was. Pure; the chat passes my user id.
import type { T } from "../i18n";
import type { Message } from "../tim/types";

/** The line for a recalled message, from my point of view (`me`: my user id). A message
 *  recalled before the revoker was recorded (no `message_revoker_user_id`) counts as recalled by
 *  its sender. `senderName` overrides the sender's nick name (e.g. a group name card). */
export function recallText(m: Message, t: T, me?: string, senderName?: string): string {
  const sender = senderName || m.message_sender_profile?.user_profile_nick_name || m.message_sender;
  const mine = m.message_is_from_self || (!!me && m.message_sender === me);
  const revoker = m.message_revoker_user_id || m.message_sender;
  if (revoker === m.message_sender) {
    return mine ? t("recalledSelf") : t("recalled", { who: sender });
  }
  // An admin (or the owner) recalled someone else's message.
  if (me && revoker === me) return t("recalledByMe", { sender });
  const admin = m.message_revoker_nick_name || revoker;
  return mine ? t("recalledMine", { who: admin }) : t("recalledByAdmin", { who: admin, sender });
}
