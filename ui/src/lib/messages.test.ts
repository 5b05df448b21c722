import { describe, expect, it } from "vitest";
import { applyReceipts, applyRevokes, settleLocal, upsertMessages } from "./messages";
import { linkify } from "./links";
import { insertAt, isEmojiOnly } from "./emoji";
import type { Message } from "../tim/types";

const m = (id: string, t: number, p: Partial<Message> = {}): Message => ({
  message_elem_array: [], message_conv_id: "bob", message_conv_type: 1, message_sender: "me", message_client_time: t,
  message_server_time: t, message_is_from_self: true, message_status: 2, message_msg_id: id, ...p,
});

describe("message list", () => {
  it("upserts by id, oldest first", () => {
    const l = upsertMessages([m("b", 2)], [m("a", 1), m("b", 2, { message_status: 6 })]);
    expect(l.map((x) => x.message_msg_id)).toEqual(["a", "b"]);
    expect(l[1].message_status).toBe(6);
  });
  it("replaces an optimistic message with the sent one", () => {
    const local = m("", 5, { local_key: "local-1", message_status: 1, message_server_time: 0 });
    const l = settleLocal([m("a", 1), local], "local-1", m("z", 6));
    expect(l.map((x) => x.message_msg_id)).toEqual(["a", "z"]);
  });
  it("marks own sent messages read up to the receipt time", () => {
    const l = applyReceipts([m("a", 1), m("b", 5), m("c", 9), m("d", 2, { message_is_from_self: false })], "bob", [
      { msg_receipt_conv_id: "bob", msg_receipt_conv_type: 1, msg_receipt_time_stamp: 5 },
    ]);
    expect(l.map((x) => !!x.message_is_peer_read)).toEqual([true, true, false, false]);
    expect(applyReceipts(l, "carol", [{ msg_receipt_conv_id: "bob", msg_receipt_conv_type: 1, msg_receipt_time_stamp: 99 }])).toBe(l);
  });
  it("recalls by seq and rand", () => {
    const l = applyRevokes([m("a", 1, { message_seq: 3, message_rand: 7 }), m("b", 2, { message_seq: 4, message_rand: 7 })], [
      { message_locator_conv_id: "bob", message_locator_conv_type: 1, message_locator_time: 1, message_locator_seq: 3, message_locator_rand: 7 },
    ]);
    expect(l.map((x) => x.message_status)).toEqual([6, 2]);
  });
  it("keeps who recalled it from the locator", () => {
    const l = applyRevokes([m("a", 1, { message_seq: 3, message_rand: 7, message_unique_id: 9 }), m("b", 2, { message_seq: 4, message_rand: 8 })], [
      { message_locator_conv_id: "bob", message_locator_conv_type: 1, message_locator_time: 1, message_locator_seq: 3, message_locator_rand: 7,
        message_locator_unique_id: 9, message_revoker_user_id: "admin", message_revoker_nick_name: "Ada" },
      { message_locator_conv_id: "bob", message_locator_conv_type: 1, message_locator_time: 2, message_locator_seq: 4, message_locator_rand: 8 },
    ]);
    expect(l.map((x) => [x.message_status, x.message_revoker_user_id, x.message_revoker_nick_name])).toEqual([
      [6, "admin", "Ada"],
      [6, undefined, undefined],
    ]);
  });
});

describe("linkify", () => {
  it("finds links and leaves punctuation out", () => {
    expect(linkify("see https://example.org/a?b=1, and www.x.cn.")).toEqual([
      { text: "see " },
      { text: "https://example.org/a?b=1", href: "https://example.org/a?b=1" },
      { text: ", and " },
      { text: "www.x.cn", href: "https://www.x.cn" },
      { text: "." },
    ]);
    expect(linkify("no links")).toEqual([{ text: "no links" }]);
  });
});

describe("emoji", () => {
  it("inserts at the caret", () => expect(insertAt("ab", 1, 1, "😀")).toEqual({ value: "a😀b", caret: 3 }));
  it("detects emoji-only text", () => {
    expect(isEmojiOnly("👍")).toBe(true);
    expect(isEmojiOnly("❤️🔥")).toBe(true);
    expect(isEmojiOnly("ok 👍")).toBe(false);
    expect(isEmojiOnly("👍👍👍👍")).toBe(false);
  });
});
