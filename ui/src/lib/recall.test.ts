import { describe, expect, it } from "vitest";
import { translator } from "../i18n";
import { recallText } from "./recall";
import type { Message } from "../tim/types";

const en = translator("en");
const zh = translator("zh");
/** A recalled group message of carol ("Carol C."), as `me` sees it. */
const recalled = (me: string, p: Partial<Message> = {}): Message => ({
  message_elem_array: [], message_conv_id: "g1", message_conv_type: 2, message_sender: "carol",
  message_sender_profile: { user_profile_identifier: "carol", user_profile_nick_name: "Carol C." },
  message_client_time: 0, message_server_time: 0, message_is_from_self: me === "carol", message_status: 6,
  message_msg_id: "x", ...p,
});
const byBob = { message_revoker_user_id: "bob", message_revoker_nick_name: "Bob B." };

describe("recallText", () => {
  it("a sender recalling their own message", () => {
    const own = { message_revoker_user_id: "carol" };
    expect(recallText(recalled("carol", own), en, "carol")).toBe("You recalled a message");
    expect(recallText(recalled("dave", own), en, "dave")).toBe("Carol C. recalled a message");
    expect(recallText(recalled("carol", own), zh, "carol")).toBe("你撤回了一条消息");
    expect(recallText(recalled("dave", own), zh, "dave")).toBe("Carol C. 撤回了一条消息");
  });
  it("an admin recalling someone else's message", () => {
    expect(recallText(recalled("dave", byBob), en, "dave")).toBe("Bob B. recalled a message from Carol C.");
    expect(recallText(recalled("bob", byBob), en, "bob")).toBe("You recalled a message from Carol C.");
    expect(recallText(recalled("carol", byBob), en, "carol")).toBe("Bob B. recalled your message");
    expect(recallText(recalled("dave", byBob), zh, "dave")).toBe("Bob B. 撤回了 Carol C. 的一条消息");
    expect(recallText(recalled("bob", byBob), zh, "bob")).toBe("你撤回了 Carol C. 的一条消息");
    expect(recallText(recalled("carol", byBob), zh, "carol")).toBe("Bob B. 撤回了你的一条消息");
  });
  it("falls back to ids, and a given sender name wins", () => {
    const bare = recalled("dave", { message_sender_profile: null, message_revoker_user_id: "bob" });
    expect(recallText(bare, en, "dave")).toBe("bob recalled a message from carol");
    expect(recallText(recalled("dave", byBob), en, "dave", "Carol (card)")).toBe("Bob B. recalled a message from Carol (card)");
  });
  it("without a recorded revoker, the sender recalled it", () => {
    expect(recallText(recalled("dave"), en, "dave")).toBe("Carol C. recalled a message");
    expect(recallText(recalled("carol"), en, "carol")).toBe("You recalled a message");
    // My own message is mine even when the flag is missing, as long as my id is known.
    expect(recallText(recalled("x", { message_sender: "carol", message_is_from_self: false, ...byBob }), en, "carol"))
      .toBe("Bob B. recalled your message");
  });
  it("without my id, an admin's recall still names the admin", () => {
    expect(recallText(recalled("dave", byBob), en)).toBe("Bob B. recalled a message from Carol C.");
  });
});
