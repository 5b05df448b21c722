import { describe, expect, it } from "vitest";
import { DEFAULT_SERVER, lastLogin, passwordInClear, rememberLastLogin, takeLegacySession } from "./session";

function mem() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m };
}

describe("session", () => {
  it("hands over a legacy session once and removes it from the webview's storage", () => {
    const st = mem();
    expect(takeLegacySession(st)).toBeNull();
    const s = { server_url: "ws://h:1", user_id: "alice", user_sig: "sig", sdk_app_id: 1400000001 };
    st.setItem("confab.session", JSON.stringify(s));
    expect(takeLegacySession(st)).toEqual(s);
    expect(st.getItem("confab.session")).toBeNull();
    expect(takeLegacySession(st)).toBeNull();
  });
  it("removes a corrupt legacy entry too", () => {
    const st = mem();
    st.setItem("confab.session", "{nope");
    expect(takeLegacySession(st)).toBeNull();
    expect(st.m.size).toBe(0);
  });
  it("remembers the server and user id, never a UserSig", () => {
    const st = mem();
    expect(lastLogin(st)).toEqual({ server_url: DEFAULT_SERVER, user_id: "" });
    rememberLastLogin({ server_url: "ws://h:1", user_id: "alice", user_sig: "secret" } as never, st);
    expect(lastLogin(st)).toEqual({ server_url: "ws://h:1", user_id: "alice" });
    expect([...st.m.values()].join()).not.toContain("secret");
  });
  it("tells when a password would travel unencrypted to another machine", () => {
    expect(passwordInClear("ws://chat.example.org:9780")).toBe(true);
    expect(passwordInClear("ws://192.168.1.20:9780")).toBe(true);
    expect(passwordInClear("wss://chat.example.org")).toBe(false);
    expect(passwordInClear("ws://127.0.0.1:9780")).toBe(false);
    expect(passwordInClear("ws://localhost:9780")).toBe(false);
    expect(passwordInClear("ws://[::1]:9780")).toBe(false);
    expect(passwordInClear("not a url")).toBe(false);
  });
});
