// The forward dialog's logic: the conversations it lists, filtered as you type, and a target
// typed by id (a user or a group with no conversation yet).
import { ConvType, type ConvInfo } from "../tim/types";

export interface Target {
  c: ConvInfo;
  name: string;
}

/** Conversations one can forward to (C2C and groups, not the system one), with their names,
 *  keeping the list's order; `q` matches the name or the id, case-insensitively. */
export function forwardTargets(convs: ConvInfo[], q: string, nameOf: (c: ConvInfo) => string): Target[] {
  const s = q.trim().toLowerCase();
  return convs
    .filter((c) => c.conv_type === ConvType.C2C || c.conv_type === ConvType.Group)
    .map((c) => ({ c, name: nameOf(c) }))
    .filter((x) => !s || x.name.toLowerCase().includes(s) || x.c.conv_id.toLowerCase().includes(s));
}

/** A user or group id typed by hand, as a conversation; an error key when it cannot be one
 *  (the server's rule: printable ASCII, at most 32 bytes for a user, 48 for a group). */
export function typedTarget(id: string, convType: number): { c: ConvInfo } | { error: "fwd_idEmpty" | "fwd_idInvalid" } {
  const v = id.trim();
  if (!v) return { error: "fwd_idEmpty" };
  if (!/^[\x20-\x7e]+$/.test(v) || v.length > (convType === ConvType.Group ? 48 : 32)) return { error: "fwd_idInvalid" };
  return { c: { conv_id: v, conv_type: convType, conv_unread_num: 0, conv_active_time: 0 } };
}
