import { describe, expect, it } from "vitest";
import { hm, listTime, needsDivider } from "./time";

const now = new Date(2026, 10, 20, 15, 30); // Fri 20 Nov 2026, 15:30 local
const at = (y: number, mo: number, d: number, h = 9, mi = 5) => new Date(y, mo, d, h, mi).getTime() / 1000;

describe("listTime", () => {
  it("shows HH:MM today", () => expect(listTime(at(2026, 10, 20, 9, 5), "en", "Yesterday", now)).toBe("09:05"));
  it("says yesterday", () => expect(listTime(at(2026, 10, 19, 23, 59), "zh", "昨天", now)).toBe("昨天"));
  it("shows a weekday within a week", () => expect(listTime(at(2026, 10, 16), "en", "Yesterday", now)).toBe("Mon"));
  it("shows a date this year", () => expect(listTime(at(2026, 0, 3), "en", "Yesterday", now)).toBe("03/01"));
  it("shows the year before", () => expect(listTime(at(2025, 11, 31), "zh", "昨天", now)).toBe("2025/12/31"));
  it("is empty without a time", () => expect(listTime(0, "en", "Yesterday", now)).toBe(""));
});

describe("hm / needsDivider", () => {
  it("pads", () => expect(hm(new Date(2026, 0, 1, 7, 3))).toBe("07:03"));
  it("divides after five minutes", () => {
    expect(needsDivider(undefined, 100)).toBe(true);
    expect(needsDivider(100, 400)).toBe(false);
    expect(needsDivider(100, 401)).toBe(true);
  });
});
