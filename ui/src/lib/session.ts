import type { Session } from "../bindings/shell";

const KEY = "confab.session";
export const DEFAULT_SERVER = "ws://127.0.0.1:9780";

/** The remembered session (server, user id, UserSig, SDKAppID), if any. */
export function loadSession(storage: Pick<Storage, "getItem"> = localStorage): Session | null {
  try {
    const v = JSON.parse(storage.getItem(KEY) ?? "null");
    if (v && typeof v.server_url === "string" && typeof v.user_id === "string" && typeof v.user_sig === "string" && typeof v.sdk_app_id === "number") {
      return v as Session;
    }
  } catch {
    /* ignore a corrupt entry */
  }
  return null;
}

export function saveSession(s: Session, storage: Pick<Storage, "setItem"> = localStorage) {
  storage.setItem(KEY, JSON.stringify(s));
}

/** Forget the UserSig but keep server and user id to prefill the form. */
export function forgetSession(storage: Pick<Storage, "getItem" | "setItem" | "removeItem"> = localStorage) {
  const s = loadSession(storage);
  storage.removeItem(KEY);
  if (s) storage.setItem("confab.lastLogin", JSON.stringify({ server_url: s.server_url, user_id: s.user_id }));
}

export function lastLogin(storage: Pick<Storage, "getItem"> = localStorage): { server_url: string; user_id: string } {
  try {
    const v = JSON.parse(storage.getItem("confab.lastLogin") ?? "null");
    if (v && typeof v.server_url === "string") return v;
  } catch {
    /* ignore */
  }
  return { server_url: DEFAULT_SERVER, user_id: "" };
}
