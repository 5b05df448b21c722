import { describe, expect, it } from "vitest";
import { translator } from "../i18n";
import { convName, convPreview, elemPreview, initial, messagePreview } from "./preview";
import type { ConvInfo, Message } from "../tim/types";

const en = translator("en");
const zh = translator("zh");
const msg = (p: Partial<Message>): Message => ({
  message_elem_array: [], message_conv_id: "bob", message_conv_type: 1, message_sender: "bob",
  message_client_time: 0, message_server_time: 0, message_is_from_self: false, message_status: 2,
  message_msg_id: "x", ...p,
});

describe("elemPreview", () => {
  it("shows text as is and names every other element type", () => {
    expect(elemPreview({ elem_type: 0, text_elem_content: "hi" }, en)).toBe("hi");
    expect(elemPreview({ elem_type: 1 }, en)).toBe("[Image]");
    expect(elemPreview({ elem_type: 2 }, en)).toBe("[Voice]");
    expect(elemPreview({ elem_type: 3, custom_elem_desc: "" }, en)).toBe("[Custom message]");
    expect(elemPreview({ elem_type: 3, custom_elem_desc: "Order #5" }, en)).toBe("Order #5");
    expect(elemPreview({ elem_type: 4, file_elem_file_name: "a.pdf" }, en)).toBe("[File] a.pdf");
    expect(elemPreview({ elem_type: 5 }, en)).toBe("[Group notice]");
    expect(elemPreview({ elem_type: 6 }, en)).toBe("[Sticker]");
    expect(elemPreview({ elem_type: 7, location_elem_desc: "Park" }, en)).toBe("[Location] Park");
    expect(elemPreview({ elem_type: 9 }, en)).toBe("[Video]");
    expect(elemPreview({ elem_type: 12, merge_elem_title: "Chat" }, en)).toBe("[Chat history] Chat");
    expect(elemPreview({ elem_type: 99 }, en)).toBe("[Message]");
    expect(elemPreview({ elem_type: 1 }, zh)).toBe("[图片]");
  });
});

describe("messagePreview", () => {
  it("joins elements and says recalled", () => {
    expect(messagePreview(msg({ message_elem_array: [{ elem_type: 0, text_elem_content: "a\nb" }, { elem_type: 1 }] }), en)).toBe("a b [Image]");
    expect(messagePreview(msg({ message_status: 6 }), en, "Bob")).toBe("Bob recalled a message");
    expect(messagePreview(msg({ message_status: 6, message_is_from_self: true }), en)).toBe("You recalled a message");
  });
});

describe("convPreview", () => {
  const base: ConvInfo = { conv_id: "g1", conv_type: 2, conv_unread_num: 0, conv_active_time: 0 };
  it("prefers the draft", () => {
    const c = { ...base, conv_is_has_draft: true, conv_draft: { draft_edit_time: 1, draft_msg: msg({ message_elem_array: [{ elem_type: 0, text_elem_content: "unsent" }] }) } };
    expect(convPreview(c, en)).toEqual({ draft: true, text: "unsent" });
  });
  it("prefixes the sender in groups", () => {
    const c = { ...base, conv_last_msg: msg({ message_sender: "carol", message_elem_array: [{ elem_type: 0, text_elem_content: "yo" }] }) };
    expect(convPreview(c, en).text).toBe("carol: yo");
    const own = { ...base, conv_last_msg: msg({ message_is_from_self: true, message_elem_array: [{ elem_type: 0, text_elem_content: "yo" }] }) };
    expect(convPreview(own, zh).text).toBe("我: yo");
  });
  it("says who recalled the last message, without a sender prefix", () => {
    const last = msg({ message_conv_id: "g1", message_conv_type: 2, message_sender: "carol", message_status: 6,
      message_revoker_user_id: "alice", message_revoker_nick_name: "Alice" });
    expect(convPreview({ ...base, conv_last_msg: last }, en, "alice").text).toBe("You recalled a message from carol");
    expect(convPreview({ ...base, conv_last_msg: last }, en, "dave").text).toBe("Alice recalled a message from carol");
    expect(convPreview({ ...base, conv_last_msg: last }, zh, "alice").text).toBe("你撤回了 carol 的一条消息");
  });
  it("is empty without messages", () => {
    expect(convPreview({ ...base, conv_type: 1 }, en)).toEqual({ draft: false, text: "" });
  });
});

describe("convName", () => {
  it("prefers the show name, then a known group name, then the id", () => {
    const c: ConvInfo = { conv_id: "@TGS#1", conv_type: 2, conv_unread_num: 0, conv_active_time: 0, conv_show_name: "@TGS#1" };
    expect(convName(c)).toBe("@TGS#1");
    expect(convName(c, { "@TGS#1": "Trip" })).toBe("Trip");
    expect(convName({ ...c, conv_show_name: "Crew" }, { "@TGS#1": "Trip" })).toBe("Crew");
    expect(convName({ ...c, conv_type: 1, conv_id: "bob", conv_show_name: "Bob" })).toBe("Bob");
  });
});

describe("initial", () => {
  it("takes the first character, upper-cased, CJK and emoji included", () => {
    expect(initial("bob")).toBe("B");
    expect(initial("  张三")).toBe("张");
    expect(initial("😀x")).toBe("😀");
    expect(initial("")).toBe("?");
  });
});
