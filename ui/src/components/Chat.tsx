import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { useI18n } from "../i18n";
import { isCmdError, shell, type ConvKey, type TimReply } from "../api/shell";
import { useCoreEvents } from "../lib/events";
import { applyReceipts, applyRevokes, msgKey, settleLocal, upsertMessages } from "../lib/messages";
import { displayName, messagePreview } from "../lib/preview";
import { type ConvInfo, type Message, type MessageReceipt, type MsgLocator, MsgStatus } from "../tim/types";
import { MemberRole } from "../tim/group";
import { Avatar } from "./Avatar";
import { Bubble } from "./Bubble";
import { Composer, type MentionSource } from "./Composer";
import { ForwardDialog } from "./ForwardDialog";
import { MessageList, type MessageListHandle } from "./MessageList";
import { media } from "../lib/mediaApi";
import { pendingElem, resendSource } from "../lib/media";
import type { MediaKind } from "../bindings/shell";
import { hm, needsDivider, listTime } from "../lib/time";
import { firstUnreadIndex } from "../lib/windowing";
import { forwardParam, menuContext, mergeElem, msgActions, stripLocal, type ServerRules } from "../lib/msgActions";
import { AT_ALL } from "../lib/mention";
import { composerBlock, endedBy, revokeFailText, type Ended } from "../lib/chatState";
import type { GroupTipsElem } from "../tim/group";

const PAGE = 40;
/** Pages fetched while jumping to the first unread message. */
const JUMP_PAGE = 100;
/** Messages kept in memory. Scrolling further drops the far end, which is paged in again on the
 *  way back, so a chat scrolled through tens of thousands of messages costs what a short one
 *  does (scripts/bench-desktop.sh measures it). */
const MAX_LOADED = 600;
let localSeq = 0;

type Forwarding = { kind: "one"; m: Message } | { kind: "merge"; msgs: Message[] };

export function Chat({ conv, name, me, server, onRead, onInfo, onClose, foundMsgId, faceUrl }: {
  conv: ConvInfo; name: string; me: string; server?: ServerRules; onRead: () => void; onInfo?: () => void; onClose?: () => void; foundMsgId?: string; faceUrl?: string;
}) {
  const { t, lang } = useI18n();
  const key: ConvKey = { conv_id: conv.conv_id, conv_type: conv.conv_type };
  const group = conv.conv_type === 2;
  const [msgs, setMsgs] = useState<Message[]>([]);
  const msgsRef = useRef(msgs);
  msgsRef.current = msgs;
  const [loading, setLoading] = useState(false);
  const loadingRef = useRef(false);
  const [hasMore, setHasMore] = useState(true);
  const hasMoreRef = useRef(true);
  // Newer messages than the loaded ones exist (dropped while scrolling up through history).
  const [hasNewer, setHasNewerState] = useState(false);
  const hasNewerRef = useRef(false);
  const setHasNewer = (b: boolean) => {
    hasNewerRef.current = b;
    setHasNewerState(b);
  };
  // While a jump pages history in towards a message, nothing is dropped.
  const pinned = useRef(0);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [menu, setMenu] = useState<{ x: number; y: number; m: Message } | null>(null);
  const [selected, setSelected] = useState<Set<string> | null>(null);
  const [forwarding, setForwarding] = useState<Forwarding | null>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [newCount, setNewCount] = useState(0);
  const [range, setRange] = useState({ start: 0, end: 0 });
  const [myRole, setMyRole] = useState(0);
  // In groups: mute-all and my own mute (what the server checks before a send), and whether
  // the group has ended for me (removed, dismissed, left elsewhere) while the chat is open.
  const [mutes, setMutes] = useState({ all: false, myUntil: 0 });
  const [ended, setEnded] = useState<Ended | null>(null);
  const [, tick] = useReducer((x: number) => x + 1, 0);
  const [members, setMembers] = useState<{ id: string; name: string }[]>([]);
  const list = useRef<MessageListHandle>(null);
  // Unread at open: how many, and the newest message then (the first unread is counted back
  // from it, so later arrivals do not move it).
  const unreadAtOpen = useRef(conv.conv_unread_num);
  const [newestAtOpen, setNewestAtOpen] = useState<string | null>(null);
  const [jumped, setJumped] = useState(false);

  const fail = (e: unknown) => setError(isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e));
  const failReply = (r: TimReply) => setError(t("errorCode", { code: r.code ?? r.result, message: r.desc || String(r.json ?? "") }));

  const markRead = useCallback(() => {
    if (document.visibilityState === "visible") {
      onRead();
      shell.msgReportRead(key).catch(() => {});
    }
  }, [conv.conv_id, conv.conv_type]); // eslint-disable-line react-hooks/exhaustive-deps

  const shown = useMemo(() => msgs.filter((m) => m.message_status !== MsgStatus.Deleted), [msgs]);
  const keys = useMemo(() => shown.map(msgKey), [shown]);

  // First page, then mark read.
  useEffect(() => {
    let cancelled = false;
    loadingRef.current = true;
    setLoading(true);
    shell
      .msgList(key, null, PAGE)
      .then((l) => {
        if (cancelled) return;
        const sorted = upsertMessages([], l);
        setMsgs(sorted);
        setNewestAtOpen(sorted.length ? msgKey(sorted[sorted.length - 1]) : null);
        hasMoreRef.current = l.length >= PAGE;
        setHasMore(hasMoreRef.current);
        markRead();
      })
      .catch(fail)
      .finally(() => {
        loadingRef.current = false;
        if (!cancelled) setLoading(false);
      });
    const onFocus = () => markRead();
    window.addEventListener("focus", onFocus);
    return () => {
      cancelled = true;
      window.removeEventListener("focus", onFocus);
    };
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  /** My role and mutes, read again whenever a tip of this group arrives. */
  const gateSeq = useRef(0);
  const loadGate = useCallback(async () => {
    if (!group) return;
    const n = ++gateSeq.current;
    try {
      const [info, mine] = await Promise.all([shell.groupInfo(conv.conv_id), shell.groupMembers(conv.conv_id, 0, [me])]);
      if (n !== gateSeq.current) return;
      const self = mine.group_get_memeber_info_list_result_info_array?.[0];
      setMyRole(self?.group_member_info_member_role ?? 0);
      setMutes({ all: !!info.group_detial_info_is_shutup_all, myUntil: self?.group_member_info_shutup_time ?? 0 });
    } catch {
      /* not readable (e.g. no longer a member): the server still refuses what it must */
    }
  }, [group, conv.conv_id, me]);

  // In groups: my role (who may recall others' messages, @all) and the members to @mention.
  useEffect(() => {
    if (!group) return;
    let gone = false;
    (async () => {
      try {
        await loadGate();
        const all: { id: string; name: string }[] = [];
        let next = 0;
        for (let page = 0; page < 20; page++) {
          const r = await shell.groupMembers(conv.conv_id, next);
          for (const m of r.group_get_memeber_info_list_result_info_array ?? []) {
            all.push({ id: m.group_member_info_identifier, name: m.group_member_info_name_card || m.group_member_info_nick_name || m.group_member_info_identifier });
          }
          next = r.group_get_memeber_info_list_result_next_seq ?? 0;
          if (!next) break;
        }
        if (!gone) setMembers(all);
      } catch {
        /* no members: no picker entries; the role stays "member" */
      }
    })();
    return () => {
      gone = true;
    };
  }, [group, conv.conv_id, me, loadGate]);

  /** Past MAX_LOADED, the newest messages go (not while a jump pages in, nor while one of mine
   *  is still being sent): scrolling back down pages them in again. */
  const dropNewest = (next: Message[]): Message[] => {
    if (pinned.current || next.length <= MAX_LOADED || next.some((m) => m.local_key || m.message_status === MsgStatus.Sending)) return next;
    setHasNewer(true);
    // The first unread (counted back from the newest at opening) is behind us now.
    setJumped(true);
    return next.slice(0, MAX_LOADED);
  };

  /** One newer page after the newest loaded message; past MAX_LOADED the oldest go. */
  const loadNewer = async (count = PAGE) => {
    if (loadingRef.current || !hasNewerRef.current) return;
    const newest = [...msgsRef.current].reverse().find((m) => !m.local_key);
    if (!newest) return;
    loadingRef.current = true;
    setLoading(true);
    try {
      const newer = await shell.msgList(key, stripLocal(newest), count, true);
      let next = upsertMessages(msgsRef.current, newer);
      if (newer.length < count) setHasNewer(false);
      if (next.length > MAX_LOADED) {
        next = next.slice(next.length - MAX_LOADED);
        hasMoreRef.current = true;
        setHasMore(true);
      }
      msgsRef.current = next;
      setMsgs(next);
    } catch (e) {
      fail(e);
    } finally {
      loadingRef.current = false;
      setLoading(false);
    }
  };

  /** Back to the newest messages: the newest page again when later ones were dropped. */
  const toLatest = async () => {
    if (hasNewerRef.current) {
      try {
        const l = await shell.msgList(key, null, PAGE);
        const next = upsertMessages(msgsRef.current.filter((m) => m.local_key), l);
        msgsRef.current = next;
        setMsgs(next);
        hasMoreRef.current = l.length >= PAGE;
        setHasMore(hasMoreRef.current);
        setHasNewer(false);
      } catch (e) {
        fail(e);
        return;
      }
    }
    list.current?.scrollToBottom();
  };

  /** One older page (`count` messages); resolves to whether more may exist. */
  const loadOlder = async (count = PAGE): Promise<boolean> => {
    if (loadingRef.current || !hasMoreRef.current) return hasMoreRef.current;
    const oldest = msgsRef.current.find((m) => !m.local_key);
    if (!oldest) return false;
    loadingRef.current = true;
    setLoading(true);
    try {
      const older = await shell.msgList(key, stripLocal(oldest), count);
      hasMoreRef.current = older.length >= count;
      setHasMore(hasMoreRef.current);
      const next = dropNewest(upsertMessages(msgsRef.current, older));
      msgsRef.current = next;
      setMsgs(next);
      return hasMoreRef.current;
    } catch (e) {
      fail(e);
      return false;
    } finally {
      loadingRef.current = false;
      setLoading(false);
    }
  };

  const firstUnread = firstUnreadIndex(keys, newestAtOpen, unreadAtOpen.current);
  const showJump = !jumped && unreadAtOpen.current > 0 && newestAtOpen !== null && (firstUnread < 0 || firstUnread < range.start);

  // A search hit: page older history until its message is loaded, scroll to it and highlight it.
  const [foundKey, setFoundKey] = useState<string | null>(null);
  useEffect(() => {
    if (!foundMsgId || loading) return;
    // Opened at a chosen message: the person looks there, not at the first unread (marked
    // read on opening), so no "↑ N unread" pill pointing elsewhere with the count at open.
    setJumped(true);
    let cancelled = false;
    void (async () => {
      const find = () => msgsRef.current.find((m) => m.message_msg_id === foundMsgId);
      pinned.current++;
      try {
        for (let pages = 0; !find() && hasMoreRef.current && pages < 200 && !cancelled; pages++) {
          if (!(await loadOlder(JUMP_PAGE))) break;
        }
      } finally {
        pinned.current--;
      }
      // Keep a window around it: what lies far below goes, and comes back on scrolling down.
      const kept = dropNewest(msgsRef.current);
      if (kept !== msgsRef.current) {
        msgsRef.current = kept;
        setMsgs(kept);
      }
      const m = find();
      if (cancelled || !m) return;
      setFoundKey(msgKey(m));
      list.current?.scrollToKey(msgKey(m));
    })();
    return () => {
      cancelled = true;
    };
  }, [foundMsgId, loading === false && msgs.length > 0]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (!foundKey) return;
    const t = setTimeout(() => setFoundKey(null), 4000);
    return () => clearTimeout(t);
  }, [foundKey]);

  const jumpToUnread = async () => {
    const loadedKeys = () => msgsRef.current.filter((m) => m.message_status !== MsgStatus.Deleted).map(msgKey);
    let ks = loadedKeys();
    let i = firstUnreadIndex(ks, newestAtOpen, unreadAtOpen.current);
    pinned.current++;
    try {
      while (i < 0 && hasMoreRef.current) {
        const more = await loadOlder(JUMP_PAGE);
        ks = loadedKeys();
        i = firstUnreadIndex(ks, newestAtOpen, unreadAtOpen.current);
        if (!more) break;
      }
    } finally {
      pinned.current--;
    }
    setJumped(true);
    // By key: the list may not have rendered the loaded rows yet.
    if (ks.length) list.current?.scrollToKey(ks[Math.max(0, i)]);
  };

  useEffect(() => {
    if (!jumped && firstUnread >= 0 && firstUnread >= range.start && firstUnread < range.end && range.end > 0 && !atBottom) setJumped(true);
  }, [firstUnread, range, jumped, atBottom]);

  const mine = (m: { message_conv_id: string; message_conv_type: number }) =>
    m.message_conv_id === conv.conv_id && m.message_conv_type === conv.conv_type;

  useCoreEvents((e) => {
    switch (e.event) {
      case "TIMRecvNewMsgCallback":
      case "TIMMsgUpdateCallback": {
        let ms = (e.json as Message[]).filter(mine);
        if (ms.length && hasNewerRef.current) {
          // The newest are not loaded: new ones wait in the store (paged in on the way down),
          // updates apply to the loaded ones only.
          const have = new Set(msgsRef.current.map((m) => m.message_msg_id));
          const fresh = ms.filter((m) => !have.has(m.message_msg_id)).length;
          if (e.event === "TIMRecvNewMsgCallback" && fresh) setNewCount((n) => n + fresh);
          ms = ms.filter((m) => have.has(m.message_msg_id));
          if (ms.length) setMsgs((cur) => upsertMessages(cur, ms));
        } else if (ms.length) {
          setMsgs((cur) => upsertMessages(cur, ms));
          if (e.event === "TIMRecvNewMsgCallback") {
            if (!list.current || list.current.isAtBottom()) {
              if (document.hasFocus()) markRead();
            } else {
              setNewCount((n) => n + ms.length);
            }
          }
        }
        break;
      }
      case "TIMMsgReadedReceiptCallback":
        setMsgs((cur) => applyReceipts(cur, conv.conv_id, e.json as MessageReceipt[]));
        break;
      case "TIMMsgRevokeCallback":
        setMsgs((cur) => applyRevokes(cur, e.json as MsgLocator[]));
        break;
      case "TIMGroupTipsEventCallback":
        // Mute-all, my mute or my role changed (or anything else): read them again.
        if (group && (e.json as GroupTipsElem & { group_tips_elem_group_id?: string })?.group_tips_elem_group_id === conv.conv_id) void loadGate();
        break;
    }
    // A group report (system conversation) that this group ended for me.
    if (group && e.event === "TIMRecvNewMsgCallback") {
      for (const m of e.json as Message[]) {
        const why = endedBy(m, conv.conv_id);
        if (why) setEnded(why);
      }
    }
  });

  const onAtBottom = (b: boolean) => {
    setAtBottom(b);
    if (b) {
      setNewCount((n) => {
        if (n > 0 && document.hasFocus()) markRead();
        return 0;
      });
    }
  };

  const send = async (text: string, resend?: Message, atUsers?: string[]) => {
    if (hasNewerRef.current) await toLatest();
    const localKey = resend?.local_key ?? `local-${++localSeq}`;
    const now = Math.floor(Date.now() / 1000);
    const pending: Message = resend
      ? { ...resend, message_status: MsgStatus.Sending }
      : {
          local_key: localKey,
          message_msg_id: "",
          message_conv_id: conv.conv_id,
          message_conv_type: conv.conv_type,
          message_sender: me,
          message_is_from_self: true,
          message_client_time: now,
          message_server_time: 0,
          message_status: MsgStatus.Sending,
          message_elem_array: [{ elem_type: 0, text_elem_content: text }],
          ...(atUsers?.length ? { message_group_at_user_array: atUsers } : {}),
        };
    list.current?.scrollToBottom();
    setMsgs((cur) => [...cur.filter((m) => m.local_key !== localKey), pending]);
    try {
      const at = atUsers ?? resend?.message_group_at_user_array;
      const r = at?.length
        ? await shell.timCall("TIMMsgSendMessage", {
            conv_id: conv.conv_id,
            conv_type: conv.conv_type,
            json_msg_param: {
              message_elem_array: [{ elem_type: 0, text_elem_content: text }],
              message_group_at_user_array: at,
              ...(resend?.message_msg_id ? { message_msg_id: resend.message_msg_id } : {}),
            },
          })
        : await shell.msgSendText(key, text, resend?.message_msg_id || undefined);
      if (r.result === 0 && r.code === 0 && r.json && typeof r.json === "object") {
        setMsgs((cur) => settleLocal(cur, localKey, r.json as Message));
        return;
      }
      const id = typeof r.outputs.message_id === "string" ? r.outputs.message_id : pending.message_msg_id;
      setMsgs((cur) => cur.map((m) => (m.local_key === localKey ? { ...m, message_msg_id: id, message_status: MsgStatus.SendFail } : m)));
    } catch {
      setMsgs((cur) => cur.map((m) => (m.local_key === localKey ? { ...m, message_status: MsgStatus.SendFail } : m)));
    }
  };

  // Media: an optimistic bubble at once; the shell says which message id it became (so upload
  // progress finds it), and the send's outcome settles it.
  useEffect(() => {
    let un: (() => void) | undefined;
    let gone = false;
    media
      .onSending((s) => setMsgs((cur) => cur.map((m) => (m.local_key === s.local_key ? { ...m, message_msg_id: s.message_id } : m))))
      .then((u) => (gone ? u() : (un = u)));
    return () => {
      gone = true;
      un?.();
    };
  }, []);

  const sendMedia = async (kind: MediaKind, path: string, duration?: number, resend?: Message) => {
    if (hasNewerRef.current) await toLatest();
    const localKey = resend?.local_key ?? `local-${++localSeq}`;
    const pending: Message = resend
      ? { ...resend, local_key: localKey, message_status: MsgStatus.Sending }
      : {
          local_key: localKey,
          message_msg_id: "",
          message_conv_id: conv.conv_id,
          message_conv_type: conv.conv_type,
          message_sender: me,
          message_is_from_self: true,
          message_client_time: Math.floor(Date.now() / 1000),
          message_server_time: 0,
          message_status: MsgStatus.Sending,
          message_elem_array: [pendingElem(kind, path, duration)],
        };
    list.current?.scrollToBottom();
    setMsgs((cur) => [...cur.filter((m) => m.local_key !== localKey && (!resend || m.message_msg_id !== resend.message_msg_id)), pending]);
    try {
      const r = await media.send(key, kind, path, localKey, duration, resend?.message_msg_id || undefined);
      if (r.result === 0 && r.code === 0 && r.json && typeof r.json === "object") {
        setMsgs((cur) => settleLocal(cur, localKey, r.json as Message));
        return;
      }
      const id = typeof r.outputs.message_id === "string" ? r.outputs.message_id : "";
      setMsgs((cur) => cur.map((m) => (m.local_key === localKey ? { ...m, message_msg_id: id, message_status: MsgStatus.SendFail } : m)));
      const why = typeof r.json === "string" && r.json ? r.json : r.desc;
      if (why) setError(t("errorCode", { code: r.code ?? r.result, message: why }));
    } catch {
      setMsgs((cur) => cur.map((m) => (m.local_key === localKey ? { ...m, message_status: MsgStatus.SendFail } : m)));
    }
  };

  const revoke = async (m: Message) => {
    setMenu(null);
    try {
      await shell.msgRevoke(key, stripLocal(m));
      setMsgs((cur) => cur.map((x) => (x.message_msg_id === m.message_msg_id ? { ...x, message_status: MsgStatus.Revoked, message_revoker_user_id: me } : x)));
    } catch (e) {
      // Past the server's window (20016 / 10031): say so in words, with the server's reason.
      if (isCmdError(e)) setError(revokeFailText(e.code, e.message, t));
      else fail(e);
    }
  };

  const copy = async (m: Message) => {
    setMenu(null);
    const text = m.message_elem_array.map((e) => e.text_elem_content ?? "").join("");
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const ta = document.createElement("textarea");
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
  };

  /** Delete for me: from this device and from my roaming history (TIMMsgListDelete, 30 at a
   *  time, once a second); the others keep theirs. */
  const remove = async (ms: Message[]) => {
    setMenu(null);
    const withId = ms.filter((m) => m.message_msg_id && m.message_status !== MsgStatus.Sending);
    const localOnly = ms.filter((m) => !m.message_msg_id).map((m) => m.local_key);
    const gone = new Set<string>();
    try {
      for (let i = 0; i < withId.length; i += 30) {
        if (i) await new Promise((ok) => setTimeout(ok, 1100));
        const chunk = withId.slice(i, i + 30);
        const r = await shell.timCall("TIMMsgListDelete", { conv_id: conv.conv_id, conv_type: conv.conv_type, json_msg_array: chunk.map(stripLocal) });
        if (r.result !== 0 || r.code !== 0) {
          failReply(r);
          break;
        }
        chunk.forEach((m) => gone.add(m.message_msg_id));
      }
    } catch (e) {
      fail(e);
    }
    setMsgs((cur) => cur.filter((m) => !gone.has(m.message_msg_id) && !(m.local_key && localOnly.includes(m.local_key))));
  };

  /** Forward what is being forwarded to `target` (from the list, or an id typed in the dialog).
   *  Resolves to null when sent (the dialog closes), else the reason, shown in the dialog. */
  const forwardTo = async (target: ConvInfo, targetName: string, typed: boolean): Promise<string | null> => {
    const f = forwarding;
    if (!f) return null;
    let param: Record<string, unknown>;
    if (f.kind === "one") {
      param = forwardParam(stripLocal(f.m));
    } else {
      const title = group ? t("chat_mergeTitleGroup", { name }) : t("chat_mergeTitle", { a: me, b: name });
      param = { message_elem_array: [mergeElem(f.msgs, title, t("chat_mergeCompatible"), (m) => messagePreview(m, t))] };
    }
    const why = (code: number, message: string) => {
      // A typed id had no conversation: the failed send must not leave one behind (with its
      // failed message) for someone who may not exist.
      if (typed) void shell.convDelete({ conv_id: target.conv_id, conv_type: target.conv_type }).catch(() => {});
      return typed && target.conv_type === 1 && code === 20003 ? t("fwd_noSuchUser", { id: target.conv_id, code }) : t("errorCode", { code, message });
    };
    try {
      const r = await shell.timCall("TIMMsgSendMessage", { conv_id: target.conv_id, conv_type: target.conv_type, json_msg_param: param });
      if (r.result !== 0 || r.code !== 0) {
        const code = r.code || r.result;
        return why(code, r.desc || (typeof r.json === "string" ? r.json : ""));
      }
      if (target.conv_id === conv.conv_id && target.conv_type === conv.conv_type && r.json && typeof r.json === "object") {
        setMsgs((cur) => upsertMessages(cur, [r.json as Message]));
      }
      setForwarding(null);
      setSelected(null);
      setNotice(t("chat_forwarded", { name: targetName }));
      return null;
    } catch (e) {
      return isCmdError(e) ? why(e.code, e.message) : String(e);
    }
  };

  // My mute lifts by itself when its time passes: look again then (and read the server's view).
  // One that passed between the render that showed it and this effect (a busy machine) only
  // needs that render again.
  useEffect(() => {
    if (mutes.myUntil <= 0) return;
    let id: ReturnType<typeof setTimeout> | undefined;
    const check = (waited: boolean) => {
      const left = mutes.myUntil * 1000 - Date.now();
      if (left > 0) {
        id = setTimeout(() => check(true), Math.min(left + 300, 2 ** 31 - 1));
        return;
      }
      tick();
      if (waited) void loadGate();
    };
    check(false);
    return () => clearTimeout(id);
  }, [mutes.myUntil, loadGate]);

  useEffect(() => {
    if (!notice) return;
    const id = setTimeout(() => setNotice(null), 4000);
    return () => clearTimeout(id);
  }, [notice]);

  useEffect(() => {
    if (!menu) return;
    const close = () => setMenu(null);
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && close();
    window.addEventListener("click", close);
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("click", close);
      window.removeEventListener("keydown", onKey);
    };
  }, [menu]);

  const now = Math.floor(Date.now() / 1000);
  const ctx = menuContext(conv.conv_type, myRole, now, server);
  const toggle = (m: Message) =>
    setSelected((cur) => {
      const next = new Set(cur ?? []);
      const k = msgKey(m);
      if (next.has(k)) next.delete(k);
      else next.add(k);
      return next;
    });
  const picked = selected ? shown.filter((m) => selected.has(msgKey(m))) : [];
  const atMe = (m: Message) => !m.message_is_from_self && !!m.message_group_at_user_array?.some((u) => u === me || u === AT_ALL || u === "__kImSDK_MessageAtALL__");

  const renderRow = (i: number) => {
    const m = shown[i];
    const time = m.message_server_time || m.message_client_time;
    const prev = i > 0 ? shown[i - 1] : undefined;
    const divider = needsDivider(prev ? prev.message_server_time || prev.message_client_time : undefined, time);
    const d = new Date(time * 1000);
    const acts = selected ? msgActions(m, ctx) : null;
    return (
      <>
        {i === firstUnread && i > 0 && <div className="unread-divider" data-testid="unread-divider"><span>{t("chat_unreadBelow")}</span></div>}
        {divider && <div className="time-divider">{listTime(time, lang, t("yesterday")) === hm(d) ? hm(d) : `${listTime(time, lang, t("yesterday"))} ${hm(d)}`}</div>}
        <Bubble
          m={m}
          showSender={group && !m.message_is_from_self}
          senderName={displayName(m)}
          me={me}
          c2c={conv.conv_type === 1}
          onMenu={(x, y) => !selected && setMenu({ x, y, m })}
          onResend={() => {
            const src = resendSource(m);
            if (src) void sendMedia(src.kind, src.path, src.duration, m);
            else void send(m.message_elem_array[0]?.text_elem_content ?? "", m);
          }}
          select={acts ? { can: acts.select || acts.delete, on: selected!.has(msgKey(m)), toggle: () => toggle(m) } : undefined}
          mentionsMe={group && atMe(m)}
          found={foundKey === msgKey(m)}
        />
      </>
    );
  };

  const mention: MentionSource | undefined = group ? { members, me, canAtAll: myRole >= MemberRole.Admin } : undefined;
  const block = group ? composerBlock({ shutupAll: mutes.all, myRole, myShutupUntil: mutes.myUntil, ended, now }) : null;
  const untilText = (secs: number) => {
    const d = new Date(secs * 1000);
    const day = listTime(secs, lang, t("yesterday"));
    return day === hm(d) ? hm(d) : `${day} ${hm(d)}`;
  };
  const blockText = block?.kind === "muteAll" ? t("chat_mutedAll") : block?.kind === "mutedUntil" ? t("chat_mutedUntil", { time: untilText(block.until) }) : null;
  const acts = menu ? msgActions(menu.m, ctx) : null;
  const canMerge = picked.length > 0 && picked.every((m) => msgActions(m, ctx).forward);

  return (
    <div className="chat" data-testid="chat">
      <header className="chat-head">
        <Avatar id={conv.conv_id} name={name} size={32} group={group} url={faceUrl ?? conv.conv_face_url} />
        <h2 className="chat-title" data-testid="chat-title">{name}</h2>
        {onInfo && !ended && (
          <button type="button" className="icon chat-info" title={t("groupInfo")} aria-label={t("groupInfo")} onClick={onInfo} data-testid="group-info-button">
            <svg width={18} height={18} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" aria-hidden><circle cx="12" cy="12" r="9" /><path d="M12 11v6M12 7.5h.01" /></svg>
          </button>
        )}
      </header>
      <div className="messages-wrap">
        <MessageList
          ref={list}
          keys={keys}
          total={shown.length}
          renderRow={renderRow}
          head={<div className="history-edge">{loading ? t("loadingOlder") : !hasMore && shown.length > 0 ? t("noMore") : ""}</div>}
          onNearTop={() => void loadOlder()}
          hasNewer={hasNewer}
          onNearBottom={() => void loadNewer()}
          onAtBottom={onAtBottom}
          onRange={(start, end) => setRange((r) => (r.start === start && r.end === end ? r : { start, end }))}
        />
        {showJump && (
          <button type="button" className="float-pill top" onClick={() => void jumpToUnread()} data-testid="jump-unread">
            ↑ {t("chat_jumpUnread", { n: unreadAtOpen.current })}
          </button>
        )}
        {((!atBottom && newCount > 0) || hasNewer) && (
          <button type="button" className="float-pill bottom" onClick={() => void toLatest()} data-testid="new-messages-pill">
            {newCount > 0 ? t("chat_newMessages", { n: newCount }) : t("chat_latest")} ↓
          </button>
        )}
      </div>
      {error && <div className="banner error" role="alert" onClick={() => setError(null)}>{error}</div>}
      {notice && <div className="banner notice" role="status" data-testid="chat-notice" onClick={() => setNotice(null)}>{notice}</div>}
      {selected ? (
        <div className="select-bar" data-testid="select-bar">
          <span>{t("chat_selected", { n: picked.length })}</span>
          <span className="spacer" />
          <button type="button" className="primary" disabled={!canMerge} onClick={() => setForwarding({ kind: "merge", msgs: picked })} data-testid="forward-merged">
            {t("chat_forwardMerged")}
          </button>
          <button type="button" className="danger" disabled={!picked.length} onClick={() => { const p = picked; setSelected(null); void remove(p); }} data-testid="delete-selected">
            {t("chat_delete")}
          </button>
          <button type="button" onClick={() => setSelected(null)} data-testid="select-cancel">{t("cancel")}</button>
        </div>
      ) : block?.kind === "ended" ? (
        <div className="chat-ended" role="status" data-testid="chat-ended" data-ended={block.why}>
          <strong>{t(block.why === "removed" ? "chat_removed" : block.why === "dismissed" ? "chat_dismissed" : "chat_leftGroup")}</strong>
          <span>{t("chat_endedHint")}</span>
          {onClose && <button type="button" className="secondary small-btn" onClick={onClose} data-testid="chat-ended-close">{t("chat_closeChat")}</button>}
        </div>
      ) : (
        conv.conv_type !== 3 && (
          <Composer
            conv={conv}
            blocked={blockText}
            mention={mention}
            onSend={(text, at) => void send(text, undefined, at)}
            onSendMedia={(kind, path, duration) => void sendMedia(kind, path, duration)}
          />
        )
      )}
      {menu && acts && (
        <ul className="context-menu" role="menu" style={{ left: menu.x, top: menu.y }} data-testid="context-menu" onClick={(e) => e.stopPropagation()}>
          {acts.copy && <li role="none"><button type="button" role="menuitem" onClick={() => copy(menu.m)} autoFocus data-testid="menu-copy">{t("copy")}</button></li>}
          {acts.forward && (
            <li role="none"><button type="button" role="menuitem" onClick={() => { setForwarding({ kind: "one", m: menu.m }); setMenu(null); }} autoFocus={!acts.copy} data-testid="menu-forward">{t("chat_forward")}</button></li>
          )}
          {acts.select && (
            <li role="none"><button type="button" role="menuitem" onClick={() => { setSelected(new Set([msgKey(menu.m)])); setMenu(null); }} data-testid="menu-select">{t("chat_select")}</button></li>
          )}
          {acts.revoke && (
            <li role="none"><button type="button" role="menuitem" onClick={() => revoke(menu.m)} data-testid="menu-revoke">{t("revoke")}</button></li>
          )}
          {acts.delete && (
            <li role="none"><button type="button" role="menuitem" onClick={() => void remove([menu.m])} autoFocus={!acts.copy && !acts.forward} data-testid="menu-delete">{t("chat_deleteForMe")}</button></li>
          )}
        </ul>
      )}
      {forwarding && (
        <ForwardDialog
          title={forwarding.kind === "one" ? t("chat_forwardTo") : t("chat_forwardMergedTo", { n: forwarding.msgs.length })}
          onPick={forwardTo}
          onClose={() => setForwarding(null)}
        />
      )}
    </div>
  );
}
