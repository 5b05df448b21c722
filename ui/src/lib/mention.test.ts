import { describe, expect, it } from "vitest";
import { AT_ALL, atUsers, filterMembers, insertMention, mentionQuery } from "./mention";

const members = [
  { id: "bob", name: "Bob" },
  { id: "carol", name: "Carol" },
  { id: "alice", name: "Alice" },
  { id: "rob", name: "Robert" },
];

describe("mentions", () => {
  it("finds the @query being typed", () => {
    expect(mentionQuery("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionQuery("hi @bo", 6)).toEqual({ start: 3, query: "bo" });
    expect(mentionQuery("hi @bob there", 13)).toBeNull(); // a space ended it
    expect(mentionQuery("mail me@x", 9)).toBeNull(); // not after whitespace
    expect(mentionQuery("no at", 5)).toBeNull();
    expect(mentionQuery("a\n@c", 4)).toEqual({ start: 2, query: "c" });
  });

  it("filters members, prefix first, never me", () => {
    expect(filterMembers(members, "", "alice").map((m) => m.id)).toEqual(["bob", "carol", "rob"]);
    expect(filterMembers(members, "ro", "alice").map((m) => m.id)).toEqual(["rob", "carol"]);
    expect(filterMembers(members, "OB", "alice").map((m) => m.id)).toEqual(["bob", "rob"]);
    expect(filterMembers(members, "zz", "alice")).toEqual([]);
  });

  it("inserts @name and a space", () => {
    expect(insertMention("hi @bo!", 3, 6, "Bob")).toEqual({ value: "hi @Bob !", caret: 8 });
  });

  it("mentions only those still in the text, once", () => {
    const picked = [{ id: "bob", name: "Bob" }, { id: "carol", name: "Carol" }, { id: "bob", name: "Bob" }, { id: AT_ALL, name: "all" }];
    expect(atUsers("@Bob hello @all", picked)).toEqual(["bob", AT_ALL]);
    expect(atUsers("hello", picked)).toEqual([]);
  });
});
