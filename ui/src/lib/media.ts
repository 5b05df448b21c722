// Pure media logic for the chat view: sizes, durations, which tier to show, bubble boxes,
// the kind of a dropped/pasted file, the voice "played" mark and viewer zoom.
import { ElemType, type Elem, type Message } from "../tim/types";
import type { MediaKind, MediaTier } from "../bindings/shell";

/** A byte count for people: 980 B, 12.3 KB, 2.4 MB, 1.1 GB (1024-based, one decimal < 100). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 100 ? (Math.round(v * 10) / 10).toFixed(1).replace(/\.0$/, "") : Math.round(v)} ${units[i]}`;
}

/** Seconds as m:ss (h:mm:ss from an hour). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Percent (0–100, whole) of cur/total; 0 when total is unknown. */
export function percent(cur: number, total: number): number {
  if (!total || total <= 0) return 0;
  return Math.max(0, Math.min(100, Math.floor((cur / total) * 100)));
}

const num = (e: Elem, k: string) => (typeof e[k] === "number" ? (e[k] as number) : 0);
const str = (e: Elem, k: string) => (typeof e[k] === "string" ? (e[k] as string) : "");

/** Whether a tier of an element can be fetched yet (it has an id or a URL). */
export function hasTier(e: Elem, tier: MediaTier): boolean {
  const keys: Record<MediaTier, [string, string]> = {
    thumb: ["image_elem_thumb_id", "image_elem_thumb_url"],
    large: ["image_elem_large_id", "image_elem_large_url"],
    orig: ["image_elem_orig_id", "image_elem_orig_url"],
    sound: ["sound_elem_file_id", "sound_elem_url"],
    file: ["file_elem_file_id", "file_elem_url"],
    video: ["video_elem_video_id", "video_elem_video_url"],
    snapshot: ["video_elem_image_id", "video_elem_image_url"],
  };
  const [id, url] = keys[tier];
  return !!(str(e, id) || str(e, url));
}

/** The tier a bubble shows (thumbnail, else large, else original) and the one the viewer
 *  opens at once (large, else original, else thumbnail). */
export function bubbleTier(e: Elem): MediaTier | null {
  for (const t of ["thumb", "large", "orig"] as const) if (hasTier(e, t)) return t;
  return null;
}
export function viewerTier(e: Elem): MediaTier | null {
  for (const t of ["large", "orig", "thumb"] as const) if (hasTier(e, t)) return t;
  return null;
}

/** Whether "view original" has anything more to show than the large tier. */
export function originalIsLarger(e: Elem): boolean {
  if (!hasTier(e, "orig")) return false;
  const same = str(e, "image_elem_orig_id") && str(e, "image_elem_orig_id") === str(e, "image_elem_large_id");
  return !same && num(e, "image_elem_orig_pic_width") > num(e, "image_elem_large_pic_width");
}

/** The name "save as" suggests for an image tier (tiers other than the original are JPEG). */
export function imageSaveName(e: Elem, tier: MediaTier): string {
  const ext = ({ 2: "gif", 3: "png", 4: "bmp" } as Record<number, string>)[num(e, "image_elem_format")] ?? "jpg";
  const isOrig = tier === "orig" || (tier === "large" && str(e, "image_elem_large_id") === str(e, "image_elem_orig_id"));
  return isOrig ? `image.${ext}` : "image.jpg";
}

/** A width × height fitted inside max × max (never enlarged past `max`, at least `min` on the
 *  shorter side so tiny images stay clickable). Unknown sizes give a square placeholder. */
export function fitBox(w: number, h: number, max = 240, min = 48): { width: number; height: number } {
  if (!(w > 0 && h > 0)) return { width: Math.round(max * 0.75), height: Math.round(max * 0.75) };
  const scale = Math.min(1, max / Math.max(w, h));
  let width = w * scale;
  let height = h * scale;
  const short = Math.min(width, height);
  if (short < min) {
    const up = min / short;
    width = Math.min(max, width * up);
    height = Math.min(max, height * up);
  }
  return { width: Math.round(width), height: Math.round(height) };
}

/** The dimensions a bubble reserves for an image element (its thumbnail's, else the original's). */
export function imageBox(e: Elem, max = 240) {
  const tw = num(e, "image_elem_thumb_pic_width");
  const th = num(e, "image_elem_thumb_pic_height");
  const ow = num(e, "image_elem_orig_pic_width");
  const oh = num(e, "image_elem_orig_pic_height");
  return tw && th ? fitBox(tw, th, max) : fitBox(ow, oh, max);
}

const IMAGE_EXT = ["png", "jpg", "jpeg", "gif", "bmp", "webp"];
const VIDEO_EXT = ["mp4", "webm", "mov", "m4v", "mkv"];

/** What to send a dropped or pasted file as, from its name (or MIME type). */
export function kindForFile(name: string, mime = ""): MediaKind {
  const ext = name.includes(".") ? name.split(".").pop()!.toLowerCase() : "";
  if (IMAGE_EXT.includes(ext) || (!ext && mime.startsWith("image/"))) return "image";
  if (VIDEO_EXT.includes(ext) || (!ext && mime.startsWith("video/"))) return "video";
  return "file";
}

/** The file name in a path (either separator). */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

type WithCustom = Message & { message_custom_int?: number };

/** The local mark for a voice note heard (TIMMsgSetLocalCustomData, message_custom_int = 1). */
export const VOICE_PLAYED = 1;

/** A received voice note not heard yet shows a dot; own voice notes never do. */
export function voiceUnplayed(m: Message): boolean {
  return !m.message_is_from_self && m.message_elem_array.some((e) => e.elem_type === ElemType.Sound) && (m as WithCustom).message_custom_int !== VOICE_PLAYED;
}

/** The message marked as heard (what TIMMsgSetLocalCustomData is given). */
export function markPlayed(m: Message): WithCustom {
  const { local_key: _k, ...rest } = m;
  void _k;
  return { ...rest, message_custom_int: VOICE_PLAYED };
}

/** The element to send again when a failed media message is resent: kind, local path and
 *  duration, or null when the message has no local file (it cannot be resent from here). */
export function resendSource(m: Message): { kind: MediaKind; path: string; duration?: number } | null {
  for (const e of m.message_elem_array) {
    if (e.elem_type === ElemType.Image && str(e, "image_elem_orig_path")) return { kind: "image", path: str(e, "image_elem_orig_path") };
    if (e.elem_type === ElemType.File && str(e, "file_elem_file_path")) return { kind: "file", path: str(e, "file_elem_file_path") };
    if (e.elem_type === ElemType.Sound && str(e, "sound_elem_file_path")) return { kind: "sound", path: str(e, "sound_elem_file_path"), duration: num(e, "sound_elem_file_time") };
    if (e.elem_type === ElemType.Video && str(e, "video_elem_video_path")) return { kind: "video", path: str(e, "video_elem_video_path"), duration: num(e, "video_elem_video_duration") };
  }
  return null;
}

/** The optimistic element shown while a media message is being checked and uploaded. */
export function pendingElem(kind: MediaKind, path: string, duration = 0): Elem {
  switch (kind) {
    case "image": return { elem_type: ElemType.Image, image_elem_orig_path: path };
    case "sound": return { elem_type: ElemType.Sound, sound_elem_file_path: path, sound_elem_file_time: duration };
    case "video": return { elem_type: ElemType.Video, video_elem_video_path: path, video_elem_video_duration: duration };
    default: return { elem_type: ElemType.File, file_elem_file_path: path, file_elem_file_name: baseName(path), file_elem_file_size: 0 };
  }
}

export const ZOOM_MIN = 0.25;
export const ZOOM_MAX = 8;
/** The next zoom level: a step of 1.25× in or out, clamped. */
export function nextZoom(z: number, dir: 1 | -1): number {
  const v = dir > 0 ? z * 1.25 : z / 1.25;
  return Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, Math.round(v * 1000) / 1000));
}
