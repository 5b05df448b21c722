// Typed calls to the Tauri shell's commands (src-tauri/src/commands/). Shell DTO types come
// from the generated bindings; TIM payloads are TIM JSON.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { EVENT_NAME, type CmdError, type ConvKey, type Session, type TimReply } from "../bindings/shell";
import type { ConvInfo, CoreEvent, Message } from "../tim/types";

export type { CmdError, ConvKey, Session, TimReply };

export function isCmdError(e: unknown): e is CmdError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export const shell = {
  signIn: (a: { serverUrl: string; userId: string; password: string; nickName?: string; register: boolean }) =>
    invoke<Session>("sign_in", a),
  resumeSession: (session: Session) => invoke<Session>("resume_session", { session }),
  signOut: () => invoke<void>("sign_out"),

  convList: () => invoke<ConvInfo[]>("conv_list"),
  convCreate: (conv: ConvKey) => invoke<ConvInfo>("conv_create", { conv }),
  convSetDraft: (conv: ConvKey, text: string) => invoke<unknown>("conv_set_draft", { conv, text }),
  convCancelDraft: (conv: ConvKey) => invoke<unknown>("conv_cancel_draft", { conv }),
  convSetOpen: (conv: ConvKey | null) => invoke<void>("conv_set_open", { conv }),

  msgSendText: (conv: ConvKey, text: string, resendMsgId?: string) =>
    invoke<TimReply>("msg_send_text", { conv, text, resendMsgId: resendMsgId ?? null }),
  msgList: (conv: ConvKey, lastMsg: Message | null, count: number) =>
    invoke<Message[]>("msg_list", { conv, lastMsg, count }),
  msgReportRead: (conv: ConvKey) => invoke<unknown>("msg_report_read", { conv }),
  msgRevoke: (conv: ConvKey, msg: Message) => invoke<unknown>("msg_revoke", { conv, msg }),

  groupCreate: (name: string, groupType: number, members: string[]) =>
    invoke<{ create_group_result_groupid: string }>("group_create", { name, groupType, members }),

  groupJoinedList: () => invoke<{ group_base_info_group_id: string; group_base_info_group_name: string }[]>("group_joined_list"),

  /** Any TIM call by name, for calls without a typed wrapper yet. */
  timCall: (api: string, params: unknown) => invoke<TimReply>("tim_call", { api, params }),

  onEvent: (f: (e: CoreEvent) => void): Promise<UnlistenFn> => listen<CoreEvent>(EVENT_NAME, (e) => f(e.payload)),
};
