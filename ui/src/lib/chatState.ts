// What a chat lets me do right now: whether the composer is open (mutes, a group I am no longer
// in), and how a refused recall is explained. Pure; the chat feeds it the group info, my member
// info and the group reports it sees.
import type { T } from "../i18n";
import { GroupReportType, MemberRole, type GroupReportElem } from "../tim/group";
import type { Message } from "../tim/types";

/** Why a group chat has ended for me. */
export type Ended = "removed" | "dismissed" | "left";

/** Why the composer is closed, or null when I may write. */
export type ComposerBlock =
  | { kind: "ended"; why: Ended }
  | { kind: "mutedUntil"; until: number }
  | { kind: "muteAll" }
  | null;

export interface GateInput {
  /** group_detial_info_is_shutup_all */
  shutupAll: boolean;
  /** My TIMGroupMemberRole (0 while unknown). */
  myRole: number;
  /** group_member_info_shutup_time: muted until (UTC seconds), 0 when not muted. */
  myShutupUntil: number;
  ended: Ended | null;
  /** Now, UTC seconds. */
  now: number;
}

/** The server's order (crates/server/src/groups.rs `send_gate`): a muted member is refused
 *  whatever the role; under mute-all everyone below admin is. */
export function composerBlock(g: GateInput): ComposerBlock {
  if (g.ended) return { kind: "ended", why: g.ended };
  if (g.myShutupUntil > g.now) return { kind: "mutedUntil", until: g.myShutupUntil };
  if (g.shutupAll && g.myRole < MemberRole.Admin) return { kind: "muteAll" };
  return null;
}

/** The group this message's reports end for me (I was removed, it was dismissed or recycled,
 *  or I left it from another device), if any. */
export function endedBy(m: Message, groupId: string): Ended | null {
  for (const e of m.message_elem_array) {
    if (e.elem_type !== 8) continue;
    const r = e as unknown as GroupReportElem;
    if (r.group_report_elem_group_id !== groupId) continue;
    switch (r.group_report_elem_report_type) {
      case GroupReportType.BeKicked: return "removed";
      case GroupReportType.Delete:
      case GroupReportType.GroupRecycle: return "dismissed";
      case GroupReportType.Quit: return "left";
    }
  }
  return null;
}

/** Revoke refusals because the time limit has passed: 20016 (C2C), 10031 (group). */
export const REVOKE_TOO_LATE = [20016, 10031];

/** A refused recall as a sentence: the time limit gets its own words (with the server's), other
 *  refusals the usual "Error {code}: {message}". */
export function revokeFailText(code: number, message: string, t: T): string {
  if (REVOKE_TOO_LATE.includes(code)) return t("chat_recallTooLate", { code, message });
  return t("errorCode", { code, message });
}
