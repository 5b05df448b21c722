import { describe, expect, it } from "vitest";
import { avatarSrc } from "./avatar";

describe("avatarSrc", () => {
  it("loads http(s) URLs", () => {
    expect(avatarSrc("https://example.com/a.png")).toBe("https://example.com/a.png");
    expect(avatarSrc(" http://127.0.0.1:8080/avatar.png ")).toBe("http://127.0.0.1:8080/avatar.png");
  });
  it("falls back to initials for empty, other schemes and malformed URLs", () => {
    for (const u of [undefined, null, "", "   ", "javascript:alert(1)", "file:///etc/passwd", "data:image/png;base64,AAAA", "asset://x", "not a url", "//host/a.png"]) {
      expect(avatarSrc(u)).toBeNull();
    }
  });
});
