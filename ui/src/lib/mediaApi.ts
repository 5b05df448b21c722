// The shell's media commands (src-tauri/src/commands/media.rs), cached URLs for element tiers,
// and the progress of uploads (core events) and downloads (shell events) for the bubbles.
import { useEffect, useState } from "react";
import { convertFileSrc, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import {
  MEDIA_PROGRESS_EVENT, MEDIA_SENDING_EVENT, type ConvKey, type MediaFile, type MediaKind, type MediaProgress,
  type MediaSending, type MediaTier, type TimReply,
} from "../bindings/shell";
import type { Elem, Message } from "../tim/types";
import { useCoreEvents } from "./events";

export const media = {
  send: (conv: ConvKey, kind: MediaKind, path: string, localKey: string, duration?: number, resendMsgId?: string) =>
    invoke<TimReply>("media_send", { conv, kind, path, duration: duration ?? null, localKey, resendMsgId: resendMsgId ?? null }),
  fetch: (elem: Elem, tier: MediaTier, progressKey?: string) =>
    invoke<MediaFile>("media_fetch", { elem, tier, progressKey: progressKey ?? null }),
  /** Opens with the system's app; a file that would run as a program needs `confirmed`
   *  (the shell answers NEEDS_CONFIRM first). */
  open: (path: string, name?: string, confirmed?: boolean) => invoke<void>("media_open", { path, name, confirmed }),
  reveal: (path: string) => invoke<void>("media_reveal", { path }),
  saveAs: (path: string, suggestedName: string) => invoke<string | null>("media_save_as", { path, suggestedName }),
  pick: (kind: MediaKind) => invoke<string[]>("media_pick", { kind }),
  /** Hand bytes (a pasted image, a voice note) to the shell; answers the temporary file's path. */
  writeTemp: async (name: string, data: Blob) =>
    invoke<string>("media_write_temp", new Uint8Array(await data.arrayBuffer()), { headers: { "x-file-name": encodeURIComponent(name) } }),
  onSending: (f: (s: MediaSending) => void) => listen<MediaSending>(MEDIA_SENDING_EVENT, (e) => f(e.payload)),
};

/** A webview URL for a cached file (the asset protocol; its scope is the media cache only). */
export const fileUrl = (path: string) => convertFileSrc(path);

/** A URL that <audio> and <video> can play. WebKitGTK's media player hands the URL to
 *  GStreamer, which has no source for custom schemes such as asset:// (WebKit bug 146351), so
 *  the cached file is read through the asset protocol into a blob: URL. Revoke it when done. */
export async function playableUrl(path: string): Promise<string> {
  const r = await fetch(fileUrl(path));
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return URL.createObjectURL(await r.blob());
}

// Files fetched this session, by element tier: a second bubble or the viewer reuses them.
const fetched = new Map<string, Promise<MediaFile>>();
const tierKey = (e: Elem, tier: MediaTier) => {
  const id = Object.entries(e).filter(([k, v]) => typeof v === "string" && (k.endsWith("_id") || k.endsWith("_url")) && v).map(([, v]) => v).join("|");
  return `${tier}:${id}`;
};

/** Fetch (once per session) an element's tier into the cache. */
export function fetchTier(e: Elem, tier: MediaTier, progressKey?: string): Promise<MediaFile> {
  const k = tierKey(e, tier);
  let p = fetched.get(k);
  if (!p) {
    p = media.fetch(e, tier, progressKey);
    fetched.set(k, p);
    p.catch(() => fetched.delete(k));
  }
  return p;
}

/** The tier's file once it is cached, when `enabled`; `error` when fetching failed. */
export function useTierFile(e: Elem, tier: MediaTier | null, enabled = true) {
  const [state, setState] = useState<{ file?: MediaFile; error?: unknown }>({});
  const k = tier ? tierKey(e, tier) : "";
  useEffect(() => {
    if (!tier || !enabled) return;
    let live = true;
    fetchTier(e, tier).then((file) => live && setState({ file }), (error) => live && setState({ error }));
    return () => {
      live = false;
    };
  }, [k, enabled]); // eslint-disable-line react-hooks/exhaustive-deps
  return state;
}

// Download progress from the shell, fanned out by key.
const progressHandlers = new Map<string, Set<(p: MediaProgress) => void>>();
let progressStarted: Promise<unknown> | null = null;
function startProgress() {
  progressStarted ??= listen<MediaProgress>(MEDIA_PROGRESS_EVENT, (e) => progressHandlers.get(e.payload.key)?.forEach((h) => h(e.payload)));
  return progressStarted;
}

/** Download progress for `key` ({cur, total, n: events so far}) while a fetch with that key runs. */
export function useDownloadProgress(key: string) {
  const [p, setP] = useState<{ cur: number; total: number; n: number } | null>(null);
  useEffect(() => {
    void startProgress();
    const h = (m: MediaProgress) => setP((old) => ({ cur: m.cur, total: m.total, n: (old?.n ?? 0) + 1 }));
    const set = progressHandlers.get(key) ?? new Set();
    set.add(h);
    progressHandlers.set(key, set);
    return () => {
      set.delete(h);
      if (!set.size) progressHandlers.delete(key);
    };
  }, [key]);
  return p;
}

/** Upload progress of a message being sent (TIMMsgElemUploadProgressCallback), by message id. */
export function useUploadProgress(msgId: string) {
  const [p, setP] = useState<{ cur: number; total: number } | null>(null);
  useCoreEvents((e) => {
    if (e.event !== "TIMMsgElemUploadProgressCallback" || !msgId) return;
    const m = e.json as Message;
    if (m?.message_msg_id === msgId) setP({ cur: Number(e.cur_size) || 0, total: Number(e.total_size) || 0 });
  });
  return p;
}
