import { openUrl } from "../lib/open";
import { useI18n } from "../i18n";
import { isEmojiOnly } from "../lib/emoji";
import { linkify } from "../lib/links";
import { isTips, messagePreview } from "../lib/preview";
import { recallText } from "../lib/recall";
import { hm } from "../lib/time";
import { ElemType, MsgStatus, type Message } from "../tim/types";
import { Avatar } from "./Avatar";
import { BARE_ELEMS, MediaElem } from "./MediaElem";

export function Bubble({ m, showSender, senderName, c2c, onMenu, onResend, select, mentionsMe, found, me }: {
  m: Message; showSender: boolean; senderName: string; c2c: boolean;
  onMenu: (x: number, y: number) => void; onResend: () => void;
  /** Multi-select mode: whether this message can be picked, is picked, and the toggle. */
  select?: { can: boolean; on: boolean; toggle: () => void };
  /** The message @mentions me (or @all): highlighted. */
  mentionsMe?: boolean;
  /** The message a search result pointed at (briefly highlighted). */
  found?: boolean;
  /** My user id: a recall's line says "You" when I recalled someone else's message. */
  me?: string;
}) {
  const { t } = useI18n();
  if (m.message_status === MsgStatus.Revoked) {
    return <div className="center-line" data-testid="center-line">{recallText(m, t, me, senderName)}</div>;
  }
  if (isTips(m)) {
    return <div className="center-line" data-testid="center-line">{messagePreview(m, t, senderName)}</div>;
  }
  const self = m.message_is_from_self;
  const text = m.message_elem_array.map((e) => (e.elem_type === ElemType.Text ? e.text_elem_content ?? "" : "")).join("");
  const big = m.message_elem_array.every((e) => e.elem_type === ElemType.Text) && isEmojiOnly(text);
  const bare = m.message_elem_array.length > 0 && m.message_elem_array.every((e) => BARE_ELEMS.includes(e.elem_type));
  const time = m.message_server_time || m.message_client_time;
  const state =
    m.message_status === MsgStatus.Sending ? "sending"
    : m.message_status === MsgStatus.SendFail ? "failed"
    : self && c2c && m.message_is_peer_read ? "read"
    : "sent";
  return (
    <div
      className={"row" + (self ? " self" : "") + (mentionsMe ? " mentioned" : "") + (found ? " found" : "") + (select?.on ? " picked" : "")}
      data-testid="msg-row"
      data-state={self ? state : undefined}
      data-mentioned={mentionsMe ? "true" : undefined}
      data-found={found ? "true" : undefined}
      onClick={select?.can ? select.toggle : undefined}
    >
      {select && (
        <input
          type="checkbox"
          className="pick"
          checked={select.on}
          disabled={!select.can}
          onChange={select.toggle}
          onClick={(e) => e.stopPropagation()}
          aria-label={t("chat_selectMsg")}
          data-testid="msg-pick"
        />
      )}
      {!self && <Avatar id={m.message_sender} name={senderName} size={32} url={m.message_sender_profile?.user_profile_face_url} />}
      <div className="bubble-col">
        {showSender && <div className="sender">{senderName}</div>}
        <div
          className={"bubble" + (big ? " big-emoji" : "") + (bare ? " bare" : "")}
          tabIndex={0}
          onContextMenu={(e) => {
            e.preventDefault();
            onMenu(e.clientX, e.clientY);
          }}
          onKeyDown={(e) => {
            if (e.key === "ContextMenu" || (e.shiftKey && e.key === "F10")) {
              e.preventDefault();
              const r = e.currentTarget.getBoundingClientRect();
              onMenu(r.left + 8, r.bottom);
            }
          }}
          data-testid="bubble"
        >
          {m.message_elem_array.map((e, i) =>
            e.elem_type === ElemType.Text ? (
              <span key={i} className="text">
                {linkify(e.text_elem_content ?? "").map((r, j) =>
                  r.href ? (
                    <a key={j} href={r.href} onClick={(ev) => { ev.preventDefault(); openUrl(r.href!); }} rel="noreferrer">
                      {r.text}
                    </a>
                  ) : (
                    <span key={j}>{r.text}</span>
                  ),
                )}
              </span>
            ) : (
              <MediaElem key={i} e={e} m={m} />
            ),
          )}
        </div>
        <div className="meta">
          <span>{time ? hm(new Date(time * 1000)) : ""}</span>
          {self && state === "sending" && <span className="status sending" aria-label={t("sending")}>⏳</span>}
          {self && state === "sent" && <span className="status sent" title={t("delivered")} aria-label={t("delivered")}>✓</span>}
          {self && state === "read" && <span className="status read" title={t("read")} data-testid="read-tick">✓✓ {t("read")}</span>}
          {self && state === "failed" && (
            <button type="button" className="status failed" onClick={onResend} data-testid="resend" title={t("resend")}>
              ⚠ {t("sendFailed")} · {t("resend")}
            </button>
          )}
        </div>
      </div>
    </div>
  );
}
