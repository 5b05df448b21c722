import { describe, expect, it } from "vitest";
import { badgeText, initialPendencies, pendencyReducer, readUpTo, type PendencyState } from "./pendency";
import type { GroupPendency, GroupPendencyResult } from "../tim/group";

const p = (key: string, time: number, handled = 0): GroupPendency => ({
  group_pendency_group_id: "g1", group_pendency_form_identifier: key, group_pendency_add_time: time,
  group_pendency_pendency_type: 0, group_pendency_handled: handled, group_pendency_handle_result: 0,
  group_pendency_apply_invite_msg: "hi", group_pendency_key: key,
});
const result = (items: GroupPendency[], unread: number, read = 0): GroupPendencyResult => ({
  group_pendency_result_next_start_time: 0, group_pendency_result_read_time_seq: read,
  group_pendency_result_unread_num: unread, group_pendency_result_pendency_array: items,
});
const loaded = (): PendencyState =>
  pendencyReducer(initialPendencies, { type: "load", result: result([p("a", 100), p("b", 300), p("c", 200, 2)], 2) });

describe("pendencyReducer", () => {
  it("loads newest first with the server's unread count", () => {
    const s = loaded();
    expect(s.items.map((x) => x.group_pendency_key)).toEqual(["b", "c", "a"]);
    expect(s.unread).toBe(2);
  });
  it("selects open ones only, several at once", () => {
    let s = pendencyReducer(loaded(), { type: "toggle", key: "a" });
    s = pendencyReducer(s, { type: "toggle", key: "c" });
    expect(s.selected).toEqual(["a"]);
    s = pendencyReducer(s, { type: "selectAll", on: true });
    expect(s.selected.sort()).toEqual(["a", "b"]);
    expect(pendencyReducer(s, { type: "selectAll", on: false }).selected).toEqual([]);
  });
  it("handling several marks them done, unselects them and lowers the count", () => {
    let s = pendencyReducer(loaded(), { type: "selectAll", on: true });
    s = pendencyReducer(s, { type: "handled", keys: ["a", "b"], accept: false, message: "full" });
    expect(s.unread).toBe(0);
    expect(s.selected).toEqual([]);
    const a = s.items.find((x) => x.group_pendency_key === "a")!;
    expect([a.group_pendency_handled, a.group_pendency_handle_result, a.group_pendency_approval_msg]).toEqual([2, 0, "full"]);
    // Handling again changes nothing.
    expect(pendencyReducer(s, { type: "handled", keys: ["a"], accept: true, message: "" }).items).toEqual(s.items);
  });
  it("mark read clears the listed ones but keeps newer unlisted ones counted", () => {
    const s = pendencyReducer(initialPendencies, { type: "load", result: result([p("a", 100), p("b", 300)], 3) });
    expect(readUpTo(s)).toBe(300);
    const r = pendencyReducer(s, { type: "read", time: readUpTo(s) });
    expect(r.unread).toBe(1);
    expect(r.readTime).toBe(300);
  });
  it("accepts millisecond add times", () => {
    const s = pendencyReducer(initialPendencies, { type: "load", result: result([p("a", 1_700_000_000_000)], 1) });
    expect(readUpTo(s)).toBe(1_700_000_000);
  });
  it("appends a further page and remembers where the next one starts", () => {
    const first = pendencyReducer(initialPendencies, { type: "load", result: { ...result([p("b", 300)], 2), group_pendency_result_next_start_time: 300 } });
    expect(first.next).toBe(300);
    const both = pendencyReducer(first, { type: "load", append: true, result: result([p("a", 100)], 2) });
    expect(both.items.map((x) => x.group_pendency_key)).toEqual(["b", "a"]);
    expect(both.next).toBe(0);
  });
  it("a reload keeps the selection of still-open pendencies", () => {
    let s = pendencyReducer(loaded(), { type: "selectAll", on: true });
    s = pendencyReducer(s, { type: "load", result: result([p("a", 100), p("b", 300, 1)], 1) });
    expect(s.selected).toEqual(["a"]);
  });
});

describe("badgeText", () => {
  it("is empty for none and caps at 99+", () => {
    expect(badgeText(0)).toBe("");
    expect(badgeText(7)).toBe("7");
    expect(badgeText(120)).toBe("99+");
  });
});
