import { describe, expect, it } from "vitest";
import { en } from "../i18n/en";
import { zh } from "../i18n/zh";
import { langFor, translator } from "../i18n";

describe("i18n", () => {
  it("has every English key in Chinese, none empty, same placeholders", () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries(en)) {
      const z = zh[k as keyof typeof en];
      expect(z.trim(), k).not.toBe("");
      const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(ph(z), k).toEqual(ph(v));
    }
  });
  it("follows the system language", () => {
    expect(langFor("zh-CN")).toBe("zh");
    expect(langFor("zh-Hant-TW")).toBe("zh");
    expect(langFor("en-US")).toBe("en");
    expect(langFor("fr")).toBe("en");
    expect(langFor(undefined)).toBe("en");
  });
  it("fills placeholders", () => {
    expect(translator("en")("unread", { n: 3 })).toBe("3 unread");
    expect(translator("zh")("errorCode", { code: 6014, message: "x" })).toBe("错误 6014：x");
  });
});
