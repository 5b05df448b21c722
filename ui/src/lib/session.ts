import type { Session } from "../bindings/shell";

/** Where versions before 0.2 kept the whole session, UserSig included, in the webview. */
const LEGACY_KEY = "confab.session";
const LAST_KEY = "confab.lastLogin";
export const DEFAULT_SERVER = "ws://127.0.0.1:9780";

type Store = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/**
 * The session an older version kept in localStorage, removed from there (the shell keeps
 * sessions now, out of the webview's reach). Returns it once so that it can be handed over.
 */
export function takeLegacySession(storage: Store = localStorage): Session | null {
  const raw = storage.getItem(LEGACY_KEY);
  if (raw === null) return null;
  storage.removeItem(LEGACY_KEY);
  try {
    const v = JSON.parse(raw);
    if (v && typeof v.server_url === "string" && typeof v.user_id === "string" && typeof v.user_sig === "string" && typeof v.sdk_app_id === "number") {
      return v as Session;
    }
  } catch {
    /* ignore a corrupt entry */
  }
  return null;
}

/** Remember the server and user id (nothing secret) to prefill the sign-in form. */
export function rememberLastLogin(s: { server_url: string; user_id: string }, storage: Pick<Storage, "setItem"> = localStorage) {
  storage.setItem(LAST_KEY, JSON.stringify({ server_url: s.server_url, user_id: s.user_id }));
}

export function lastLogin(storage: Pick<Storage, "getItem"> = localStorage): { server_url: string; user_id: string } {
  try {
    const v = JSON.parse(storage.getItem(LAST_KEY) ?? "null");
    if (v && typeof v.server_url === "string") return v;
  } catch {
    /* ignore */
  }
  return { server_url: DEFAULT_SERVER, user_id: "" };
}

/**
 * Whether a password sent to `url` would travel unencrypted to another machine: plain ws://
 * to a host that is not this one.
 */
export function passwordInClear(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return false;
  }
  if (u.protocol !== "ws:" && u.protocol !== "http:") return false;
  const host = u.hostname.replace(/^\[|\]$/g, "");
  return !(host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host));
}
