import { useState, type Dispatch } from "react";
import { useI18n } from "../i18n";
import { isCmdError, shell } from "../api/shell";
import { addSecs, isOpen, readUpTo, type PendencyAction, type PendencyState } from "../lib/pendency";
import { listTime, hm } from "../lib/time";
import { PendencyType, type GroupPendency } from "../tim/group";
import { Avatar } from "./Avatar";

/** The join-request inbox: every request of the groups this user administers (and invitations
 *  to this user), several handled at once, refused with an optional reason. */
export function Inbox({ state, dispatch, groupNames, onReload }: {
  state: PendencyState; dispatch: Dispatch<PendencyAction>; groupNames: Record<string, string>; onReload: () => Promise<void>;
}) {
  const { t, lang } = useI18n();
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const more = async () => {
    try {
      dispatch({ type: "load", append: true, result: await shell.groupPendencyList(state.next) });
    } catch (e) {
      setError(isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e));
    }
  };
  const open = state.items.filter(isOpen);
  const allOn = open.length > 0 && open.every((p) => state.selected.includes(p.group_pendency_key));

  const handle = async (accept: boolean) => {
    const chosen = state.items.filter((p) => state.selected.includes(p.group_pendency_key));
    if (!chosen.length) return;
    setBusy(true);
    setError(null);
    const done: string[] = [];
    const errors: string[] = [];
    for (const p of chosen) {
      try {
        await shell.groupPendencyHandle(p, accept, accept ? "" : reason.trim());
        done.push(p.group_pendency_key);
      } catch (e) {
        errors.push(isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e));
      }
    }
    dispatch({ type: "handled", keys: done, accept, message: accept ? "" : reason.trim() });
    if (!accept) setReason("");
    if (errors.length) {
      setError(errors.join("\n"));
      await onReload();
    }
    setBusy(false);
  };

  const markRead = async () => {
    const time = readUpTo(state);
    if (!time) return;
    try {
      await shell.groupPendencyRead(time);
      dispatch({ type: "read", time });
    } catch (e) {
      setError(isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e));
    }
  };

  const group = (p: GroupPendency) => groupNames[p.group_pendency_group_id] || p.group_pendency_group_id;
  return (
    <div className="inbox" data-testid="inbox">
      <header className="chat-head">
        <h2 className="chat-title">{t("joinRequests")}</h2>
        <span className="spacer" />
        <button type="button" className="secondary" onClick={() => void markRead()} disabled={state.unread === 0} data-testid="inbox-mark-read">
          {t("markAllRead")}
        </button>
      </header>
      <div className="inbox-toolbar">
        <label className="inline">
          <input type="checkbox" checked={allOn} disabled={!open.length} onChange={(e) => dispatch({ type: "selectAll", on: e.target.checked })} data-testid="inbox-select-all" />
          {t("selectAll")}
        </label>
        <span className="muted small" data-testid="inbox-selected">{t("selectedCount", { n: state.selected.length })}</span>
        <span className="spacer" />
        <input
          className="reason"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder={t("refuseReason")}
          aria-label={t("refuseReason")}
          maxLength={300}
          data-testid="inbox-reason"
        />
        <button type="button" className="danger" disabled={busy || !state.selected.length} onClick={() => void handle(false)} data-testid="inbox-refuse">{t("refuse")}</button>
        <button type="button" className="primary" disabled={busy || !state.selected.length} onClick={() => void handle(true)} data-testid="inbox-approve">{t("approve")}</button>
      </div>
      {error && <div className="banner error" role="alert" onClick={() => setError(null)}>{error}</div>}
      {state.items.length === 0 ? (
        <p className="conv-empty">{t("inboxEmpty")}</p>
      ) : (
        <ul className="pendency-list">
          {state.items.map((p) => {
            const key = p.group_pendency_key;
            const from = p.group_pendency_form_identifier;
            const secs = addSecs(p);
            const unread = isOpen(p) && secs > state.readTime;
            const d = new Date(secs * 1000);
            return (
              <li key={key} className={"pendency" + (unread ? " unread" : "")} data-testid={`pendency-${from}`} data-open={isOpen(p)}>
                <input
                  type="checkbox"
                  checked={state.selected.includes(key)}
                  disabled={!isOpen(p)}
                  onChange={() => dispatch({ type: "toggle", key })}
                  aria-label={`${from} · ${group(p)}`}
                  data-testid="pendency-check"
                />
                <Avatar id={from} name={String(p.group_pendency_from_nick_name || from)} size={36} />
                <div className="pendency-main">
                  <div>
                    <strong>{String(p.group_pendency_from_nick_name || from)}</strong>{" "}
                    {p.group_pendency_pendency_type === PendencyType.InviteJoin ? t("inviteTo", { group: group(p) }) : t("requestTo", { group: group(p) })}
                  </div>
                  {p.group_pendency_apply_invite_msg && <div className="pendency-msg">“{p.group_pendency_apply_invite_msg}”</div>}
                  {!isOpen(p) && (
                    <div className="pendency-status muted small" data-testid="pendency-status">
                      {p.group_pendency_handle_result === 1 ? t("statusApproved") : t("statusRefused")}
                      {p.group_pendency_approval_msg ? ` · ${p.group_pendency_approval_msg}` : ""}
                    </div>
                  )}
                </div>
                <span className="conv-time">{!secs ? "" : listTime(secs, lang, t("yesterday")) === hm(d) ? hm(d) : `${listTime(secs, lang, t("yesterday"))} ${hm(d)}`}</span>
              </li>
            );
          })}
          {state.next !== 0 && (
            <li><button type="button" className="secondary load-more" onClick={() => void more()} data-testid="inbox-more">{t("loadMore")}</button></li>
          )}
        </ul>
      )}
    </div>
  );
}
