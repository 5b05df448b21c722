import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { useI18n } from "../i18n";
import { isCmdError, shell, type ConvKey } from "../api/shell";
import { useCoreEvents } from "../lib/events";
import { applyReceipts, applyRevokes, msgKey, settleLocal, upsertMessages } from "../lib/messages";
import { displayName } from "../lib/preview";
import { type ConvInfo, type Message, type MessageReceipt, type MsgLocator, MsgStatus } from "../tim/types";
import { Avatar } from "./Avatar";
import { Bubble } from "./Bubble";
import { Composer } from "./Composer";
import { media } from "../lib/mediaApi";
import { pendingElem, resendSource } from "../lib/media";
import type { MediaKind } from "../bindings/shell";
import { hm, needsDivider, listTime } from "../lib/time";

const PAGE = 20;
let localSeq = 0;

export function Chat({ conv, name, me, onRead, onInfo }: { conv: ConvInfo; name: string; me: string; onRead: () => void; onInfo?: () => void }) {
  const { t, lang } = useI18n();
  const key: ConvKey = { conv_id: conv.conv_id, conv_type: conv.conv_type };
  const [msgs, setMsgs] = useState<Message[]>([]);
  const [loading, setLoading] = useState(false);
  const [hasMore, setHasMore] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [menu, setMenu] = useState<{ x: number; y: number; m: Message } | null>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const keepFromBottom = useRef<number | null>(null);

  const fail = (e: unknown) => setError(isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e));

  const markRead = useCallback(() => {
    if (document.visibilityState === "visible") {
      onRead();
      shell.msgReportRead(key).catch(() => {});
    }
  }, [conv.conv_id, conv.conv_type]); // eslint-disable-line react-hooks/exhaustive-deps

  // First page, then mark read.
  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    shell
      .msgList(key, null, PAGE)
      .then((list) => {
        if (cancelled) return;
        setMsgs(upsertMessages([], list));
        setHasMore(list.length >= PAGE);
        stick.current = true;
        markRead();
      })
      .catch(fail)
      .finally(() => !cancelled && setLoading(false));
    const onFocus = () => markRead();
    window.addEventListener("focus", onFocus);
    return () => {
      cancelled = true;
      window.removeEventListener("focus", onFocus);
    };
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const loadOlder = async () => {
    if (loading || !hasMore || !msgs.length) return;
    const oldest = msgs.find((m) => !m.local_key);
    if (!oldest) return;
    setLoading(true);
    const el = listRef.current;
    keepFromBottom.current = el ? el.scrollHeight - el.scrollTop : null;
    try {
      const older = await shell.msgList(key, stripLocal(oldest), PAGE);
      setHasMore(older.length >= PAGE);
      setMsgs((cur) => upsertMessages(cur, older));
    } catch (e) {
      fail(e);
    } finally {
      setLoading(false);
    }
  };

  // Keep the view pinned to the bottom for new messages, or steady when older ones arrive.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    if (keepFromBottom.current !== null) {
      el.scrollTop = el.scrollHeight - keepFromBottom.current;
      keepFromBottom.current = null;
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [msgs]);

  const onScroll = () => {
    const el = listRef.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    if (el.scrollTop < 40) void loadOlder();
  };

  const mine = (m: { message_conv_id: string; message_conv_type: number }) =>
    m.message_conv_id === conv.conv_id && m.message_conv_type === conv.conv_type;

  useCoreEvents((e) => {
    switch (e.event) {
      case "TIMRecvNewMsgCallback":
      case "TIMMsgUpdateCallback": {
        const ms = (e.json as Message[]).filter(mine);
        if (ms.length) {
          setMsgs((cur) => upsertMessages(cur, ms));
          if (e.event === "TIMRecvNewMsgCallback" && document.hasFocus()) markRead();
        }
        break;
      }
      case "TIMMsgReadedReceiptCallback":
        setMsgs((cur) => applyReceipts(cur, conv.conv_id, e.json as MessageReceipt[]));
        break;
      case "TIMMsgRevokeCallback":
        setMsgs((cur) => applyRevokes(cur, e.json as MsgLocator[]));
        break;
    }
  });

  const send = async (text: string, resend?: Message) => {
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
        };
    stick.current = true;
    setMsgs((cur) => [...cur.filter((m) => m.local_key !== localKey), pending]);
    try {
      const r = await shell.msgSendText(key, text, resend?.message_msg_id || undefined);
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
    stick.current = true;
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
      setMsgs((cur) => cur.map((x) => (x.message_msg_id === m.message_msg_id ? { ...x, message_status: MsgStatus.Revoked } : x)));
    } catch (e) {
      fail(e);
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

  let prevTime: number | undefined;
  return (
    <div className="chat" data-testid="chat">
      <header className="chat-head">
        <Avatar id={conv.conv_id} name={name} size={32} group={conv.conv_type === 2} />
        <h2 className="chat-title" data-testid="chat-title">{name}</h2>
        {onInfo && (
          <button type="button" className="icon chat-info" title={t("groupInfo")} aria-label={t("groupInfo")} onClick={onInfo} data-testid="group-info-button">
            <svg width={18} height={18} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" aria-hidden><circle cx="12" cy="12" r="9" /><path d="M12 11v6M12 7.5h.01" /></svg>
          </button>
        )}
      </header>
      <div className="messages" ref={listRef} onScroll={onScroll} role="log" aria-live="polite" data-testid="messages">
        <div className="history-edge">{loading ? t("loadingOlder") : !hasMore && msgs.length > 0 ? t("noMore") : ""}</div>
        {msgs.map((m) => {
          const time = m.message_server_time || m.message_client_time;
          const divider = needsDivider(prevTime, time);
          prevTime = time;
          const d = new Date(time * 1000);
          return (
            <div key={msgKey(m)}>
              {divider && <div className="time-divider">{listTime(time, lang, t("yesterday")) === hm(d) ? hm(d) : `${listTime(time, lang, t("yesterday"))} ${hm(d)}`}</div>}
              <Bubble
                m={m}
                showSender={conv.conv_type === 2 && !m.message_is_from_self}
                senderName={displayName(m)}
                c2c={conv.conv_type === 1}
                onMenu={(x, y) => setMenu({ x, y, m })}
                onResend={() => {
                  const src = resendSource(m);
                  if (src) void sendMedia(src.kind, src.path, src.duration, m);
                  else void send(m.message_elem_array[0]?.text_elem_content ?? "", m);
                }}
              />
            </div>
          );
        })}
      </div>
      {error && <div className="banner error" role="alert" onClick={() => setError(null)}>{error}</div>}
      {conv.conv_type !== 3 && <Composer conv={conv} onSend={(text) => void send(text)} onSendMedia={(kind, path, duration) => void sendMedia(kind, path, duration)} />}
      {menu && (
        <ul className="context-menu" role="menu" style={{ left: menu.x, top: menu.y }} data-testid="context-menu" onClick={(e) => e.stopPropagation()}>
          <li role="none"><button type="button" role="menuitem" onClick={() => copy(menu.m)} autoFocus>{t("copy")}</button></li>
          {menu.m.message_is_from_self && menu.m.message_status === MsgStatus.SendSucc && (
            <li role="none"><button type="button" role="menuitem" onClick={() => revoke(menu.m)} data-testid="menu-revoke">{t("revoke")}</button></li>
          )}
        </ul>
      )}
    </div>
  );
}

function stripLocal(m: Message): Message {
  const { local_key: _unused, ...rest } = m;
  void _unused;
  return rest as Message;
}
