import { describe, expect, it } from "vitest";
import { forwardTargets, typedTarget } from "./forward";
import type { ConvInfo } from "../tim/types";

const conv = (conv_id: string, conv_type: number, conv_show_name?: string): ConvInfo => ({ conv_id, conv_type, conv_unread_num: 0, conv_active_time: 0, conv_show_name });
const convs = [conv("bob", 1, "Bob Builder"), conv("@TGS#hike", 2, "Hikers"), conv("", 3), conv("carol", 1)];
const nameOf = (c: ConvInfo) => c.conv_show_name || c.conv_id;

describe("forwardTargets", () => {
  it("lists C2C and group conversations in order, never the system one", () => {
    expect(forwardTargets(convs, "", nameOf).map((x) => x.c.conv_id)).toEqual(["bob", "@TGS#hike", "carol"]);
  });
  it("filters by name or id, ignoring case and surrounding spaces", () => {
    expect(forwardTargets(convs, " builder ", nameOf).map((x) => x.name)).toEqual(["Bob Builder"]);
    expect(forwardTargets(convs, "HIK", nameOf).map((x) => x.c.conv_id)).toEqual(["@TGS#hike"]);
    expect(forwardTargets(convs, "tgs#", nameOf).map((x) => x.c.conv_id)).toEqual(["@TGS#hike"]);
    expect(forwardTargets(convs, "zed", nameOf)).toEqual([]);
  });
});

describe("typedTarget", () => {
  it("makes a conversation of a typed user or group id", () => {
    expect(typedTarget(" dave ", 1)).toEqual({ c: conv("dave", 1) });
    expect(typedTarget("@TGS#x", 2)).toEqual({ c: conv("@TGS#x", 2) });
  });
  it("refuses what the server would", () => {
    expect(typedTarget("  ", 1)).toEqual({ error: "fwd_idEmpty" });
    expect(typedTarget("a".repeat(33), 1)).toEqual({ error: "fwd_idInvalid" });
    expect(typedTarget("a".repeat(33), 2)).toHaveProperty("c");
    expect(typedTarget("a".repeat(49), 2)).toEqual({ error: "fwd_idInvalid" });
    expect(typedTarget("用户", 1)).toEqual({ error: "fwd_idInvalid" });
  });
});
