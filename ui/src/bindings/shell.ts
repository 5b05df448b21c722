// Generated from src-tauri/src/dto.rs by `cargo test -p confab-desktop`; do not edit.

export type CmdError = { code: number, message: string, };

export type TimReply = { result: number, desc: string, outputs: Record<string, unknown>, code: number | null, json: unknown, };

export type Session = { server_url: string, user_id: string, user_sig: string, 
/**
 * SDKAppIDs fit in a JS number.
 */
sdk_app_id: number, };

export type SignedIn = { server_url: string, user_id: string, sdk_app_id: number, };

export type ConvKey = { conv_id: string, conv_type: number, };

export type MediaKind = "image" | "file" | "sound" | "video";

export type MediaTier = "thumb" | "large" | "orig" | "sound" | "file" | "video" | "snapshot";

export type MediaFile = { path: string, size: number, };

export type MediaProgress = { key: string, cur: number, total: number, };

export type MediaSending = { local_key: string, message_id: string, };

export const EVENT_NAME = "confab://event";
export const MEDIA_PROGRESS_EVENT = "confab://media-progress";
export const MEDIA_SENDING_EVENT = "confab://media-sending";
