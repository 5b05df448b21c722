import { describe, expect, it } from "vitest";
import { convMenu, convsReducer, convTime, highlight, visibleRange, isMuted, isPinned, PINNED_BIT, searchGroups, searchKeywords, sortConvs, totalUnread } from "./convs";
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

describe("pin and mute", () => {
  it("a pinned conversation (flag or bit 62) sorts above newer ones, and keeps its real time", () => {
    const byBit = conv("p", 5, { conv_active_time: PINNED_BIT + 5 });
    expect(isPinned(byBit)).toBe(true);
    expect(convTime(byBit)).toBe(5);
    const s = sortConvs([conv("a", 100), byBit, conv("b", 200), conv("q", 1, { conv_is_pinned: true })]);
    expect(s.map((c) => c.conv_id)).toEqual(["p", "q", "b", "a"]);
  });
  it("an unpin event moves the conversation back by time", () => {
    let s = convsReducer([], { type: "load", convs: [conv("a", 10, { conv_is_pinned: true }), conv("b", 30)] });
    expect(s.map((c) => c.conv_id)).toEqual(["a", "b"]);
    s = convsReducer(s, { type: "event", convEvent: 2, convs: [conv("a", 10, { conv_is_pinned: false, conv_active_time: 10 })] });
    expect(s.map((c) => c.conv_id)).toEqual(["b", "a"]);
  });
  it("muted means receive-without-notification or do-not-receive; muted unread is not counted", () => {
    expect(isMuted(conv("a", 1, { conv_recv_opt: 2 }))).toBe(true);
    expect(isMuted(conv("a", 1, { conv_recv_opt: 1 }))).toBe(true);
    expect(isMuted(conv("a", 1, { conv_recv_opt: 0 }))).toBe(false);
    expect(totalUnread([conv("a", 1, { conv_unread_num: 3, conv_recv_opt: 2 }), conv("b", 1, { conv_unread_num: 2 })])).toBe(2);
  });
  it("the menu offers the other pin state, the other receive options and delete", () => {
    expect(convMenu(conv("a", 1))).toEqual(["pin", "recv2", "recv1", "delete"]);
    expect(convMenu(conv("a", 1, { conv_is_pinned: true, conv_recv_opt: 2 }))).toEqual(["unpin", "recv0", "recv1", "delete"]);
    expect(convMenu(conv("", 1, { conv_type: 3 }))).toEqual(["delete"]);
  });
});

describe("search", () => {
  it("splits keywords on spaces, at most 5", () => {
    expect(searchKeywords("  hello   world ")).toEqual(["hello", "world"]);
    expect(searchKeywords("a b c d e f g")).toHaveLength(5);
    expect(searchKeywords("   ")).toEqual([]);
  });
  it("highlights every keyword, case-insensitively, longest first", () => {
    expect(highlight("Hello world, hello!", ["hello"])).toEqual([
      { text: "Hello", hit: true }, { text: " world, ", hit: false }, { text: "hello", hit: true }, { text: "!", hit: false },
    ]);
    expect(highlight("明天见面", ["见"])).toEqual([{ text: "明天", hit: false }, { text: "见", hit: true }, { text: "面", hit: false }]);
    expect(highlight("abcd", ["ab", "abc"])).toEqual([{ text: "abc", hit: true }, { text: "d", hit: false }]);
    expect(highlight("plain", [])).toEqual([{ text: "plain", hit: false }]);
  });
  it("groups results per conversation in the SDK's order, a few messages each", () => {
    const m = (t: string) => ({ ...last(1), message_elem_array: [{ elem_type: 0, text_elem_content: t }] });
    const g = searchGroups({
      msg_search_result_total_count: 2,
      msg_search_result_item_array: [
        { msg_search_result_item_conv_id: "g1", msg_search_result_item_conv_type: 2, msg_search_result_item_total_message_count: 5,
          msg_search_result_item_message_array: [m("tent a"), m("tent b"), m("tent c"), m("tent d")] },
        { msg_search_result_item_conv_id: "bob", msg_search_result_item_conv_type: 1, msg_search_result_item_total_message_count: 1,
          msg_search_result_item_message_array: [m("my Tent")] },
      ],
    }, ["tent"]);
    expect(g.map((x) => x.key)).toEqual(["2:g1", "1:bob"]);
    expect(g[0].total).toBe(5);
    expect(g[0].hits).toHaveLength(3);
    expect(g[1].hits[0].segments).toEqual([{ text: "my ", hit: false }, { text: "Tent", hit: true }]);
    expect(searchGroups(null, ["x"])).toEqual([]);
  });
});

describe("visibleRange", () => {
  it("renders the rows in view plus an overscan, clamped to the list", () => {
    expect(visibleRange(0, 600, 60, 1000, 5)).toEqual([0, 15]);
    expect(visibleRange(6000, 600, 60, 1000, 5)).toEqual([95, 115]);
    expect(visibleRange(59_000, 600, 60, 1000, 5)).toEqual([978, 999]);
    expect(visibleRange(59_700, 600, 60, 1000, 5)).toEqual([990, 1000]);
    expect(visibleRange(0, 600, 60, 3, 5)).toEqual([0, 3]);
    expect(visibleRange(-50, 600, 60, 0)).toEqual([0, 0]);
  });
});
