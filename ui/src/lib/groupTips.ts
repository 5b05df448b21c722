// Group tips (elem_type 5, lines in a group chat) and group reports (elem_type 8, the system
// conversation) as one translated sentence each.
import type { T } from "../i18n";
import {
  GroupReportType as R, GroupTipChangeFlag as F, GroupTipType as Tip,
  type GroupReportElem, type GroupTipsElem, type UserProfileLite,
} from "../tim/group";

const name = (id: string | undefined, p?: UserProfileLite | null) => p?.user_profile_nick_name || id || "";

/** A duration in seconds as "10 min", "2 h", "1 d" (or seconds below a minute). */
export function duration(secs: number, t: T): string {
  if (secs % 86400 === 0 && secs >= 86400) return t("dur_day", { n: secs / 86400 });
  if (secs % 3600 === 0 && secs >= 3600) return t("dur_hour", { n: secs / 3600 });
  if (secs >= 60) return t("dur_min", { n: Math.round(secs / 60) });
  return t("dur_s", { n: secs });
}

export function tipsText(e: GroupTipsElem, t: T): string {
  const op = name(e.group_tips_elem_op_user, e.group_tips_elem_op_user_info);
  const ids = e.group_tips_elem_user_array ?? [];
  const profiles = e.group_tips_elem_changed_user_info_array ?? [];
  const who = (id: string) => name(id, profiles.find((p) => p.user_profile_identifier === id));
  const users = ids.map(who).join(t("listSep"));
  switch (e.group_tips_elem_tip_type) {
    case Tip.Invite:
      return ids.length === 1 && ids[0] === e.group_tips_elem_op_user ? t("tip_join", { users }) : t("tip_joinBy", { users, op });
    case Tip.Quit: return t("tip_quit", { users });
    case Tip.Kick: return t("tip_kick", { users, op });
    case Tip.SetAdmin: return t("tip_setAdmin", { users, op });
    case Tip.CancelAdmin: return t("tip_cancelAdmin", { users, op });
    case Tip.GroupInfoChange: {
      const parts = (e.group_tips_elem_group_change_info_array ?? []).map((c) => {
        const value = c.group_tips_group_change_info_value ?? "";
        switch (c.group_tips_group_change_info_flag) {
          case F.Name: return t("tip_name", { op, value });
          case F.Introduction: return t("tip_intro", { op });
          case F.Notification: return t("tip_notice", { op, value });
          case F.FaceUrl: return t("tip_face", { op });
          case F.Owner: return t("tip_owner", { value: who(value) });
          case F.ShutupAll:
            return c.group_tips_group_change_info_bool_value || value === "1" ? t("tip_muteAll", { op }) : t("tip_unmuteAll", { op });
          case F.GroupAddOpt: return t("tip_addOpt", { op });
          default: return t("tip_info", { op });
        }
      });
      return parts.length ? parts.join(t("listSep")) : t("tip_info", { op });
    }
    case Tip.MemberInfoChange: {
      const mutes = e.group_tips_elem_member_change_info_array ?? [];
      if (!mutes.length) return t("tip_member", { op, users });
      return mutes
        .map((m) => {
          const u = who(m.group_tips_member_change_info_identifier);
          const secs = m.group_tips_member_change_info_shutupTime;
          return secs > 0 ? t("tip_mute", { op, users: u, duration: duration(secs, t) }) : t("tip_unmute", { op, users: u });
        })
        .join(t("listSep"));
    }
    default:
      return t("preview_tips");
  }
}

export function reportText(e: GroupReportElem, t: T): string {
  const op = name(e.group_report_elem_op_user, e.group_report_elem_op_user_info);
  const group = e.group_report_elem_group_name || e.group_report_elem_group_id || "";
  const msg = e.group_report_elem_msg ?? "";
  const v = { op, group };
  const withMsg = (text: string) => (msg ? t("withMsg", { text, msg }) : text);
  switch (e.group_report_elem_report_type) {
    case R.AddRequest: return withMsg(t("rep_addRequest", v));
    case R.AddAccept: return withMsg(t("rep_addAccept", v));
    case R.AddRefuse: return withMsg(t("rep_addRefuse", v));
    case R.BeKicked: return t("rep_kicked", v);
    case R.Delete: return t("rep_delete", v);
    case R.Create: return t("rep_create", v);
    case R.Invite: return t("rep_invite", v);
    case R.Quit: return t("rep_quit", v);
    case R.GrantAdmin: return t("rep_grantAdmin", v);
    case R.CancelAdmin: return t("rep_cancelAdmin", v);
    case R.GroupRecycle: return t("rep_recycle", v);
    case R.InviteReq: return t("rep_inviteReq", v);
    case R.InviteAccept: return withMsg(t("rep_inviteAccept", v));
    case R.InviteRefuse: return withMsg(t("rep_inviteRefuse", v));
    case R.ShutUpMember: return t("rep_mutedMe", v);
    default: return withMsg(t("rep_other", v));
  }
}
