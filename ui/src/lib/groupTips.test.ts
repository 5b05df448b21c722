import { describe, expect, it } from "vitest";
import { translator } from "../i18n";
import { duration, reportText, tipsText } from "./groupTips";
import { elemPreview } from "./preview";
import type { GroupReportElem, GroupTipsElem } from "../tim/group";

const en = translator("en");
const zh = translator("zh");
const tip = (p: Partial<GroupTipsElem>): GroupTipsElem => ({ elem_type: 5, group_tips_elem_op_user: "alice", ...p });
const rep = (p: Partial<GroupReportElem>): GroupReportElem => ({
  elem_type: 8, group_report_elem_group_id: "@TGS#1", group_report_elem_group_name: "Hikers", group_report_elem_op_user: "alice", ...p,
});

describe("group tips", () => {
  it("joins: by oneself, or added by someone", () => {
    expect(tipsText(tip({ group_tips_elem_tip_type: 1, group_tips_elem_op_user: "bob", group_tips_elem_user_array: ["bob"] }), en)).toBe("bob joined the group");
    const added = tip({
      group_tips_elem_tip_type: 1, group_tips_elem_user_array: ["bob", "carol"],
      group_tips_elem_op_user_info: { user_profile_identifier: "alice", user_profile_nick_name: "Alice" },
      group_tips_elem_changed_user_info_array: [{ user_profile_identifier: "bob", user_profile_nick_name: "Bob" }],
    });
    expect(tipsText(added, en)).toBe("Bob, carol joined the group (added by Alice)");
    expect(tipsText(added, zh)).toBe("Bob、carol 加入了群聊（由 Alice 添加）");
  });
  it("quit, kick, admins", () => {
    expect(tipsText(tip({ group_tips_elem_tip_type: 2, group_tips_elem_user_array: ["bob"] }), en)).toBe("bob left the group");
    expect(tipsText(tip({ group_tips_elem_tip_type: 3, group_tips_elem_user_array: ["bob"] }), en)).toBe("alice removed bob from the group");
    expect(tipsText(tip({ group_tips_elem_tip_type: 3, group_tips_elem_user_array: ["bob"] }), zh)).toBe("bob 被 alice 移出了群聊");
    expect(tipsText(tip({ group_tips_elem_tip_type: 4, group_tips_elem_user_array: ["bob"] }), en)).toBe("alice made bob an admin");
    expect(tipsText(tip({ group_tips_elem_tip_type: 5, group_tips_elem_user_array: ["bob"] }), zh)).toBe("alice 取消了 bob 的管理员身份");
  });
  it("group info changes, mute all and ownership", () => {
    const change = (flag: number, value = "", bool = false) =>
      tip({ group_tips_elem_tip_type: 6, group_tips_elem_group_change_info_array: [
        { group_tips_group_change_info_flag: flag, group_tips_group_change_info_value: value, group_tips_group_change_info_bool_value: bool },
      ] });
    expect(tipsText(change(1, "Hikers"), en)).toBe("alice renamed the group to “Hikers”");
    expect(tipsText(change(1, "Hikers"), zh)).toBe("alice 将群名称修改为“Hikers”");
    expect(tipsText(change(8, "1", true), en)).toBe("alice muted everyone");
    expect(tipsText(change(8, "0", false), zh)).toBe("alice 关闭了全员禁言");
    expect(tipsText(change(5, "bob"), en)).toBe("bob is now the group owner");
  });
  it("member mutes with a readable duration", () => {
    const mute = (secs: number) => tip({ group_tips_elem_tip_type: 7, group_tips_elem_user_array: ["bob"],
      group_tips_elem_member_change_info_array: [{ group_tips_member_change_info_identifier: "bob", group_tips_member_change_info_shutupTime: secs }] });
    expect(tipsText(mute(600), en)).toBe("alice muted bob for 10 min");
    expect(tipsText(mute(86400), zh)).toBe("bob 被 alice 禁言 1 天");
    expect(tipsText(mute(0), en)).toBe("alice unmuted bob");
    expect(duration(7200, en)).toBe("2 h");
    expect(duration(30, zh)).toBe("30 秒");
  });
  it("is what a chat line and a preview show", () => {
    expect(elemPreview({ elem_type: 5, group_tips_elem_tip_type: 2, group_tips_elem_user_array: ["bob"] }, en)).toBe("bob left the group");
    expect(elemPreview({ elem_type: 5 }, en)).toBe("[Group notice]");
  });
});

describe("group reports", () => {
  it("join requests and their outcome, with the message", () => {
    expect(reportText(rep({ group_report_elem_report_type: 1, group_report_elem_op_user: "bob", group_report_elem_msg: "hi" }), en))
      .toBe("bob asked to join Hikers: “hi”");
    expect(reportText(rep({ group_report_elem_report_type: 3, group_report_elem_msg: "full" }), en))
      .toBe("alice refused your request to join Hikers: “full”");
    expect(reportText(rep({ group_report_elem_report_type: 3, group_report_elem_msg: "full" }), zh))
      .toBe("alice 拒绝了你加入 Hikers 的申请：“full”");
    expect(reportText(rep({ group_report_elem_report_type: 2 }), en)).toBe("alice approved your request to join Hikers");
  });
  it("kicks, dismissal, admin grants, and unknown types", () => {
    expect(reportText(rep({ group_report_elem_report_type: 4 }), zh)).toBe("你被 alice 移出了 Hikers");
    expect(reportText(rep({ group_report_elem_report_type: 5, group_report_elem_group_name: "" }), en)).toBe("alice dismissed @TGS#1");
    expect(reportText(rep({ group_report_elem_report_type: 9 }), en)).toBe("alice made you an admin of Hikers");
    expect(reportText(rep({ group_report_elem_report_type: 99 }), en)).toBe("Notice from Hikers");
  });
});
