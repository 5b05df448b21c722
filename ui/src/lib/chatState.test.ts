import { describe, expect, it } from "vitest";
import { composerBlock, endedBy, revokeFailText } from "./chatState";
import { translator } from "../i18n";
import type { Message } from "../tim/types";

const base = { shutupAll: false, myRole: 200, myShutupUntil: 0, ended: null, now: 1000 };

describe("composerBlock", () => {
  it("is open for a member when nothing is muted", () => {
    expect(composerBlock(base)).toBeNull();
  });
  it("mute-all blocks normal members, not the owner or admins", () => {
    expect(composerBlock({ ...base, shutupAll: true })).toEqual({ kind: "muteAll" });
    expect(composerBlock({ ...base, shutupAll: true, myRole: 300 })).toBeNull();
    expect(composerBlock({ ...base, shutupAll: true, myRole: 400 })).toBeNull();
  });
  it("my own mute blocks until its time, whatever my role, and wins over mute-all", () => {
    expect(composerBlock({ ...base, myShutupUntil: 1600 })).toEqual({ kind: "mutedUntil", until: 1600 });
    expect(composerBlock({ ...base, myShutupUntil: 1600, myRole: 300, shutupAll: true })).toEqual({ kind: "mutedUntil", until: 1600 });
    expect(composerBlock({ ...base, myShutupUntil: 1000 })).toBeNull();
    expect(composerBlock({ ...base, myShutupUntil: 1600, now: 1601 })).toBeNull();
  });
  it("an ended group wins over everything", () => {
    expect(composerBlock({ ...base, ended: "removed", myShutupUntil: 5000, shutupAll: true })).toEqual({ kind: "ended", why: "removed" });
  });
});

const report = (type: number, group: string): Message => ({
  message_elem_array: [{ elem_type: 8, group_report_elem_report_type: type, group_report_elem_group_id: group }],
  message_conv_id: "", message_conv_type: 3, message_sender: "", message_client_time: 0, message_server_time: 0,
  message_is_from_self: false, message_status: 2, message_msg_id: "x",
});

describe("endedBy", () => {
  it("maps the reports that end a group for me", () => {
    expect(endedBy(report(4, "g1"), "g1")).toBe("removed");
    expect(endedBy(report(5, "g1"), "g1")).toBe("dismissed");
    expect(endedBy(report(11, "g1"), "g1")).toBe("dismissed");
    expect(endedBy(report(8, "g1"), "g1")).toBe("left");
  });
  it("ignores other groups and other reports", () => {
    expect(endedBy(report(4, "g2"), "g1")).toBeNull();
    expect(endedBy(report(9, "g1"), "g1")).toBeNull();
    expect(endedBy({ ...report(4, "g1"), message_elem_array: [{ elem_type: 0, text_elem_content: "hi" }] }, "g1")).toBeNull();
  });
});

describe("revokeFailText", () => {
  const t = translator("en");
  it("explains the time limit with the server's words", () => {
    const s = revokeFailText(20016, "the revoke time limit has passed", t);
    expect(s).toContain("can no longer be recalled");
    expect(s).toContain("the revoke time limit has passed");
    expect(revokeFailText(10031, "x", t)).toContain("can no longer be recalled");
  });
  it("other refusals stay the usual error line", () => {
    expect(revokeFailText(10012, "denied", t)).toBe("Error 10012: denied");
  });
});
