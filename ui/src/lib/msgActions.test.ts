import { describe, expect, it } from "vitest";
import { forwardParam, menuContext, mergeElem, msgActions, serverRules, stripLocal } from "./msgActions";
import type { Message } from "../tim/types";

const NOW = 10_000;
const m = (p: Partial<Message> = {}): Message => ({
  message_elem_array: [{ elem_type: 0, text_elem_content: "hi" }], message_conv_id: "g", message_conv_type: 2,
  message_sender: "me", message_client_time: NOW - 10, message_server_time: NOW - 10, message_is_from_self: true,
  message_status: 2, message_msg_id: "id1", ...p,
});
const c2c = { convType: 1, myRole: 0, now: NOW };
const member = { convType: 2, myRole: 200, now: NOW };
const admin = { convType: 2, myRole: 300, now: NOW };
const owner = { convType: 2, myRole: 400, now: NOW };

describe("message menu", () => {
  it("offers everything on a fresh own message", () => {
    expect(msgActions(m(), c2c)).toEqual({ copy: true, forward: true, select: true, delete: true, revoke: true });
  });
  it("own messages may be recalled only within two minutes", () => {
    expect(msgActions(m({ message_server_time: NOW - 120 }), c2c).revoke).toBe(true);
    expect(msgActions(m({ message_server_time: NOW - 121 }), c2c).revoke).toBe(false);
    expect(msgActions(m({ message_server_time: NOW - 121 }), admin).revoke).toBe(false); // own: the window holds for admins too
  });
  it("follows the window and the clock the server gave at login", () => {
    const rules = serverRules({ server_time: NOW + 30, revoke_window: 5 }, NOW * 1000);
    expect(rules).toEqual({ revokeWindow: 5, skew: 30 });
    // The server's clock is 30 s ahead: a message it stamped 4 s ago is recallable, 6 s ago not.
    expect(msgActions(m({ message_server_time: NOW + 26 }), menuContext(1, 0, NOW, rules)).revoke).toBe(true);
    expect(msgActions(m({ message_server_time: NOW + 24 }), menuContext(1, 0, NOW, rules)).revoke).toBe(false);
    // An older server says nothing: the default window, this machine's clock.
    const unknown = serverRules({}, NOW * 1000);
    expect(unknown).toEqual({ revokeWindow: 0, skew: 0 });
    expect(msgActions(m({ message_server_time: NOW - 100 }), menuContext(1, 0, NOW, unknown)).revoke).toBe(true);
    expect(msgActions(m({ message_server_time: NOW - 100 }), menuContext(1, 0, NOW, serverRules(null, 0))).revoke).toBe(true);
  });
  it("others' messages: only a group admin or owner, at any time", () => {
    const theirs = m({ message_is_from_self: false, message_sender: "bob", message_server_time: NOW - 3600 });
    expect(msgActions(theirs, { ...c2c }).revoke).toBe(false);
    expect(msgActions(theirs, member).revoke).toBe(false);
    expect(msgActions(theirs, admin).revoke).toBe(true);
    expect(msgActions(theirs, owner).revoke).toBe(true);
  });
  it("recalled, sending, failed and tips messages offer little", () => {
    expect(msgActions(m({ message_status: 6 }), owner)).toEqual({ copy: false, forward: false, select: false, delete: true, revoke: false });
    expect(msgActions(m({ message_status: 1, message_msg_id: "" }), c2c)).toEqual({ copy: true, forward: false, select: false, delete: false, revoke: false });
    const failed = msgActions(m({ message_status: 3 }), c2c);
    expect([failed.forward, failed.revoke, failed.delete]).toEqual([false, false, true]);
    const tips = m({ message_elem_array: [{ elem_type: 5 }], message_is_from_self: false });
    expect(msgActions(tips, owner)).toEqual({ copy: false, forward: false, select: false, delete: true, revoke: false });
  });
  it("media have no copy; the system conversation only deletes", () => {
    expect(msgActions(m({ message_elem_array: [{ elem_type: 1 }] }), c2c).copy).toBe(false);
    const sys = msgActions(m({ message_is_from_self: false }), { convType: 3, myRole: 0, now: NOW });
    expect([sys.forward, sys.select, sys.revoke, sys.delete]).toEqual([false, false, false, true]);
  });
});

describe("forwarding", () => {
  it("forwards the elements as a forward message", () => {
    expect(forwardParam(m())).toEqual({ message_elem_array: [{ elem_type: 0, text_elem_content: "hi" }], message_is_forward_message: true });
  });
  it("merges messages oldest first with abstracts", () => {
    const a = m({ message_msg_id: "a", message_server_time: 3, message_sender: "bob", local_key: "x" });
    const b = m({ message_msg_id: "b", message_server_time: 1 });
    const e = mergeElem([a, b], "Chat history", "[Chat history]", (x) => x.message_elem_array[0].text_elem_content as string);
    expect(e.elem_type).toBe(12);
    expect(e.merge_elem_abstract_array).toEqual(["me: hi", "bob: hi"]);
    expect((e.merge_elem_message_array as Message[]).map((x) => x.message_msg_id)).toEqual(["b", "a"]);
    expect((e.merge_elem_message_array as Message[])[1]).toEqual(stripLocal(a));
    expect("local_key" in (e.merge_elem_message_array as Message[])[1]).toBe(false);
  });
});
