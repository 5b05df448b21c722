// Typed calls to the Tauri shell's commands (src-tauri/src/commands/). Shell DTO types come
// from the generated bindings; TIM payloads are TIM JSON.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { EVENT_NAME, type CmdError, type ConvKey, type Session, type SignedIn, type TimReply } from "../bindings/shell";
import type { ConvInfo, CoreEvent, Message } from "../tim/types";
import type { MessageSearchResult } from "../lib/convs";
import type { GroupDetailInfo, GroupMemberListResult, GroupPendency, GroupPendencyResult } from "../tim/group";

/** The group profile fields to change (absent ones stay). */
export interface GroupInfoChange {
  name?: string; notification?: string; introduction?: string; faceUrl?: string; addOption?: number; shutupAll?: boolean;
}

export type { CmdError, ConvKey, Session, SignedIn, TimReply };

export function isCmdError(e: unknown): e is CmdError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export const shell = {
  // The shell keeps the UserSig (never the webview): these answer who is signed in.
  signIn: (a: { serverUrl: string; userId: string; password: string; nickName?: string; register: boolean }) =>
    invoke<SignedIn>("sign_in", a),
  signInWithUserSig: (session: Session) => invoke<SignedIn>("sign_in_with_usersig", { session }),
  /** The kept session, logged in again; null when there is none. */
  resumeSession: () => invoke<SignedIn | null>("resume_session"),
  signOut: () => invoke<void>("sign_out"),
  changePassword: (oldPassword: string, newPassword: string) => invoke<void>("change_password", { oldPassword, newPassword }),
  signOutEverywhere: () => invoke<void>("sign_out_everywhere"),

  convList: () => invoke<ConvInfo[]>("conv_list"),
  /** A start-up milestone for the launch benchmark (a no-op unless the app runs under it). */
  startupMark: (name: string) => invoke<void>("startup_mark", { name }).catch(() => {}),
  convCreate: (conv: ConvKey) => invoke<ConvInfo>("conv_create", { conv }),
  convSetDraft: (conv: ConvKey, text: string) => invoke<unknown>("conv_set_draft", { conv, text }),
  convCancelDraft: (conv: ConvKey) => invoke<unknown>("conv_cancel_draft", { conv }),
  convSetOpen: (conv: ConvKey | null) => invoke<void>("conv_set_open", { conv }),
  convDelete: (conv: ConvKey) => invoke<unknown>("conv_delete", { conv }),
  convPin: (conv: ConvKey, pinned: boolean) => invoke<unknown>("conv_pin", { conv, pinned }),
  convSetRecvOpt: (conv: ConvKey, opt: number) => invoke<unknown>("conv_set_recv_opt", { conv, opt }),
  msgSearch: (keywords: string[], pageSize: number) => invoke<MessageSearchResult>("msg_search", { keywords, pageSize }),
  /** A click on a desktop notification asks to open its conversation. */
  onOpenConv: (f: (c: ConvKey) => void): Promise<UnlistenFn> => listen<ConvKey>("confab://open-conv", (e) => f(e.payload)),

  msgSendText: (conv: ConvKey, text: string, resendMsgId?: string) =>
    invoke<TimReply>("msg_send_text", { conv, text, resendMsgId: resendMsgId ?? null }),
  /** A page of history before `lastMsg` (none: the newest), or after it when `forward`. */
  msgList: (conv: ConvKey, lastMsg: Message | null, count: number, forward = false) =>
    invoke<Message[]>("msg_list", { conv, lastMsg, count, forward }),
  msgReportRead: (conv: ConvKey) => invoke<unknown>("msg_report_read", { conv }),
  msgRevoke: (conv: ConvKey, msg: Message) => invoke<unknown>("msg_revoke", { conv, msg }),

  groupCreate: (name: string, groupType: number, members: string[], addOption?: number) =>
    invoke<{ create_group_result_groupid: string }>("group_create", { name, groupType, members, addOption: addOption ?? null }),

  groupJoinedList: () => invoke<{ group_base_info_group_id: string; group_base_info_group_name: string; group_base_info_face_url?: string }[]>("group_joined_list"),
  groupInfo: (groupId: string) => invoke<GroupDetailInfo>("group_info", { groupId }),
  groupMembers: (groupId: string, nextSeq: number, userIds?: string[]) =>
    invoke<GroupMemberListResult>("group_members", { groupId, nextSeq, userIds: userIds ?? null }),
  groupModifyInfo: (groupId: string, change: GroupInfoChange) =>
    invoke<unknown>("group_modify_info", {
      groupId, name: change.name ?? null, notification: change.notification ?? null, introduction: change.introduction ?? null,
      faceUrl: change.faceUrl ?? null, addOption: change.addOption ?? null, shutupAll: change.shutupAll ?? null,
    }),
  groupTransferOwner: (groupId: string, newOwner: string) => invoke<unknown>("group_transfer_owner", { groupId, newOwner }),
  groupModifyMember: (groupId: string, userId: string, change: { role?: number; shutupSecs?: number }) =>
    invoke<unknown>("group_modify_member", { groupId, userId, role: change.role ?? null, shutupSecs: change.shutupSecs ?? null }),
  groupInvite: (groupId: string, userIds: string[]) =>
    invoke<{ group_invite_member_result_identifier: string; group_invite_member_result_result: number }[]>("group_invite", { groupId, userIds }),
  groupKick: (groupId: string, userIds: string[], reason?: string) => invoke<unknown>("group_kick", { groupId, userIds, reason: reason ?? null }),
  groupJoin: (groupId: string, hello: string) => invoke<unknown>("group_join", { groupId, hello }),
  groupQuit: (groupId: string) => invoke<unknown>("group_quit", { groupId }),
  groupDismiss: (groupId: string) => invoke<unknown>("group_dismiss", { groupId }),
  groupSetRecvOpt: (groupId: string, opt: number) => invoke<unknown>("group_set_recv_opt", { groupId, opt }),
  groupPendencyList: (startTime: number) => invoke<GroupPendencyResult>("group_pendency_list", { startTime }),
  groupPendencyRead: (time: number) => invoke<unknown>("group_pendency_read", { time }),
  groupPendencyHandle: (pendency: GroupPendency, accept: boolean, message?: string) =>
    invoke<unknown>("group_pendency_handle", { pendency, accept, message: message ?? null }),

  /** Any TIM call by name, for calls without a typed wrapper yet. */
  timCall: (api: string, params: unknown) => invoke<TimReply>("tim_call", { api, params }),

  onEvent: (f: (e: CoreEvent) => void): Promise<UnlistenFn> => listen<CoreEvent>(EVENT_NAME, (e) => f(e.payload)),
};
