import { describe, expect, it } from "vitest";
import { convsReducer, sortConvs, totalUnread } from "./convs";
import type { ConvInfo, Message } from "../tim/types";

const last = (t: number): Message => ({
  message_elem_array: [{ elem_type: 0, text_elem_content: "x" }], message_conv_id: "", message_conv_type: 1,
  message_sender: "", message_client_time: t, message_server_time: t, message_is_from_self: false, message_status: 2, message_msg_id: String(t),
});
const conv = (id: string, t: number, extra: Partial<ConvInfo> = {}): ConvInfo => ({
  conv_id: id, conv_type: 1, conv_unread_num: 0, conv_active_time: 0, conv_last_msg: last(t), ...extra,
});

describe("convsReducer", () => {
  it("loads sorted: pinned, then newest", () => {
    const s = convsReducer([], { type: "load", convs: [conv("a", 10), conv("b", 30), conv("c", 5, { conv_is_pinned: true })] });
    expect(s.map((c) => c.conv_id)).toEqual(["c", "b", "a"]);
  });
  it("updates in place and re-sorts, adds new ones", () => {
    let s = convsReducer([], { type: "load", convs: [conv("a", 10), conv("b", 30)] });
    s = convsReducer(s, { type: "event", convEvent: 2, convs: [conv("a", 40, { conv_unread_num: 2 })] });
    expect(s.map((c) => c.conv_id)).toEqual(["a", "b"]);
    expect(s[0].conv_unread_num).toBe(2);
    s = convsReducer(s, { type: "event", convEvent: 0, convs: [conv("n", 50)] });
    expect(s.map((c) => c.conv_id)).toEqual(["n", "a", "b"]);
    expect(totalUnread(s)).toBe(2);
  });
  it("deletes, and ignores start/finish", () => {
    let s = convsReducer([], { type: "load", convs: [conv("a", 10), conv("b", 30)] });
    s = convsReducer(s, { type: "event", convEvent: 1, convs: [conv("a", 0)] });
    expect(s.map((c) => c.conv_id)).toEqual(["b"]);
    expect(convsReducer(s, { type: "event", convEvent: 3, convs: [] })).toBe(s);
  });
  it("treats the same id with another type as another conversation", () => {
    const s = convsReducer([], { type: "load", convs: [conv("x", 1), conv("x", 2, { conv_type: 2 })] });
    expect(s).toHaveLength(2);
  });
  it("clears unread locally when read", () => {
    const s = convsReducer([conv("a", 1, { conv_unread_num: 4 })], { type: "localRead", key: "1:a" });
    expect(s[0].conv_unread_num).toBe(0);
  });
  it("sorts a fresh draft up", () => {
    const d = conv("a", 10, { conv_is_has_draft: true, conv_draft: { draft_edit_time: 99, draft_msg: last(0) } });
    expect(sortConvs([conv("b", 50), d]).map((c) => c.conv_id)).toEqual(["a", "b"]);
  });
});
