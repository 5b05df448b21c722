import { ElemType, MsgStatus, type ConvInfo, type Elem, type Message } from "../tim/types";
import type { T } from "../i18n";
import { reportText, tipsText } from "./groupTips";
import { recallText } from "./recall";
import type { GroupReportElem, GroupTipsElem } from "../tim/group";

/** One element as a short line of text. */
export function elemPreview(e: Elem, t: T): string {
  switch (e.elem_type) {
    case ElemType.Text: return e.text_elem_content ?? "";
    case ElemType.Image: return t("preview_image");
    case ElemType.Sound: return t("preview_sound");
    case ElemType.File: return t("preview_file", { name: e.file_elem_file_name ?? "" }).trim();
    case ElemType.Video: return t("preview_video");
    case ElemType.Face: return t("preview_face");
    case ElemType.Location: return t("preview_location", { desc: e.location_elem_desc ?? "" }).trim();
    case ElemType.Custom: return e.custom_elem_desc || t("preview_custom");
    case ElemType.Merge: return t("preview_merge", { title: e.merge_elem_title ?? "" }).trim();
    case ElemType.GroupTips: return e.group_tips_elem_tip_type ? tipsText(e as unknown as GroupTipsElem, t) : t("preview_tips");
    case ElemType.GroupReport:
      return e.group_report_elem_report_type ? reportText(e as unknown as GroupReportElem, t) : t("preview_tips");
    default: return t("preview_unknown");
  }
}

/** A message as one line: its elements joined; recalled messages say so (and who recalled
 *  them, see `recallText`; without my user id an admin's recall names the admin). */
export function messagePreview(m: Message, t: T, senderName?: string, me?: string): string {
  if (m.message_status === MsgStatus.Revoked) {
    return recallText(m, t, me, senderName);
  }
  return m.message_elem_array.map((e) => elemPreview(e, t)).join(" ").replace(/\s+/g, " ").trim();
}

/** The conversation list's second line: the draft when there is one, else the last message
 *  (prefixed with its sender in groups). `me`: my user id (a recall I made says "You"). */
export function convPreview(c: ConvInfo, t: T, me?: string): { draft: boolean; text: string } {
  if (c.conv_is_has_draft && c.conv_draft) {
    return { draft: true, text: messagePreview(c.conv_draft.draft_msg, t) };
  }
  const m = c.conv_last_msg;
  if (!m) return { draft: false, text: "" };
  const text = messagePreview(m, t, undefined, me);
  if (c.conv_type === 2 && m.message_status !== MsgStatus.Revoked && !isTips(m)) {
    const who = m.message_is_from_self ? t("you") : displayName(m);
    return { draft: false, text: `${who}: ${text}` };
  }
  return { draft: false, text };
}

export function isTips(m: Message): boolean {
  return m.message_elem_array.some((e) => e.elem_type === ElemType.GroupTips || e.elem_type === ElemType.GroupReport);
}

export function displayName(m: Message): string {
  return m.message_sender_profile?.user_profile_nick_name || m.message_sender;
}

/** The conversation's name: its show name, or for a group whose show name is just its id,
 *  the group's name when known (from the joined group list). */
export function convName(c: ConvInfo, groupNames?: Record<string, string>): string {
  const show = c.conv_show_name && c.conv_show_name !== c.conv_id ? c.conv_show_name : "";
  if (!show && c.conv_type === 2 && groupNames?.[c.conv_id]) return groupNames[c.conv_id];
  return show || c.conv_id;
}

/** The letter shown in an avatar. */
export function initial(name: string): string {
  const ch = Array.from(name.trim())[0] ?? "?";
  return ch.toUpperCase();
}
