import { describe, expect, it } from "vitest";
import { DEFAULT_SERVER, forgetSession, lastLogin, loadSession, saveSession } from "./session";

function mem() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
}

describe("session", () => {
  it("round-trips and forgets the UserSig but keeps the server and user", () => {
    const st = mem();
    expect(loadSession(st)).toBeNull();
    expect(lastLogin(st)).toEqual({ server_url: DEFAULT_SERVER, user_id: "" });
    const s = { server_url: "ws://h:1", user_id: "alice", user_sig: "sig", sdk_app_id: 1400000001 };
    saveSession(s, st);
    expect(loadSession(st)).toEqual(s);
    forgetSession(st);
    expect(loadSession(st)).toBeNull();
    expect(lastLogin(st)).toEqual({ server_url: "ws://h:1", user_id: "alice" });
  });
  it("ignores a corrupt entry", () => {
    const st = mem();
    st.setItem("confab.session", "{nope");
    expect(loadSession(st)).toBeNull();
  });
});
