import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { useI18n } from "../i18n";
import { isCmdError, shell } from "../api/shell";
import { convMenu, convTime, isMuted, isPinned, visibleRange, type ConvMenuAction } from "../lib/convs";
import { convName, convPreview } from "../lib/preview";
import { listTime } from "../lib/time";
import { convKey, type ConvInfo } from "../tim/types";
import { Avatar } from "./Avatar";
import { SearchBox, SearchResults } from "./SearchBox";
import { startupMark } from "../lib/startup";

const IconPin = () => (
  <svg width="12" height="12" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
    <path d="M9 4h6l-1 5 4 4H6l4-4-1-5z" /><path d="M12 13v7" />
  </svg>
);
const IconMuted = () => (
  <svg width="12" height="12" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
    <path d="M18 8a6 6 0 0 0-9.3-5M6 8c0 7-3 9-3 9h14" /><path d="M13.7 21a2 2 0 0 1-3.4 0" /><path d="M3 3l18 18" />
  </svg>
);

export function ConvList({ convs, groupNames, openKey, onOpen, me }: { convs: ConvInfo[]; groupNames: Record<string, string>; openKey: string | null; onOpen: (c: ConvInfo, msgId?: string) => void; me?: string }) {
  const { t, lang } = useI18n();
  const [query, setQuery] = useState("");
  const [menu, setMenu] = useState<{ key: string; x: number; y: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Only the rows in view (plus an overscan) are rendered: a list of thousands stays cheap to
  // show and to keep. Rows have one height, measured from a rendered row.
  const listRef = useRef<HTMLUListElement>(null);
  const [view, setView] = useState({ top: 0, height: 1200 });
  const [rowH, setRowH] = useState(64);
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const row = el.querySelector<HTMLElement>("li.conv-item");
    if (row && row.offsetHeight > 0 && row.offsetHeight !== rowH) setRowH(row.offsetHeight);
    if (el.clientHeight > 0 && el.clientHeight !== view.height) setView({ top: el.scrollTop, height: el.clientHeight });
  });
  useEffect(() => {
    const onResize = () => listRef.current && setView({ top: listRef.current.scrollTop, height: listRef.current.clientHeight });
    window.addEventListener("resize", onResize);
    return () => window.removeEventListener("resize", onResize);
  }, []);
  const onOpenRef = useRef(onOpen);
  onOpenRef.current = onOpen;

  // A DOM marker for scripts/bench-desktop.sh: when the list first showed conversations.
  const shown = useRef(false);
  useEffect(() => {
    if (shown.current || !convs.length) return;
    shown.current = true;
    document.documentElement.dataset.convListAt = String(Date.now());
    // Once painted: the launch benchmark's end point.
    requestAnimationFrame(() => startupMark("conv-list-shown"));
  }, [convs.length]);

  // A click on a desktop notification opens its conversation.
  useEffect(() => {
    const un = shell.onOpenConv((k) => {
      setQuery("");
      onOpenRef.current({ conv_id: k.conv_id, conv_type: k.conv_type, conv_unread_num: 0, conv_active_time: 0 });
    });
    return () => void un.then((f) => f());
  }, []);

  const run = async (c: ConvInfo, a: ConvMenuAction) => {
    setMenu(null);
    setError(null);
    try {
      if (a === "pin" || a === "unpin") await shell.convPin(c, a === "pin");
      else if (a === "delete") await shell.convDelete(c);
      else await shell.convSetRecvOpt(c, Number(a.slice(4)));
    } catch (e) {
      setError(isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e));
    }
  };

  const menuConv = menu ? convs.find((c) => convKey(c) === menu.key) : undefined;
  const range = visibleRange(view.top, view.height, rowH, convs.length);
  return (
    <div className="conv-pane">
      <SearchBox query={query} setQuery={setQuery} />
      {error && <div className="banner error" role="alert">{error}</div>}
      {query.trim() ? (
        <SearchResults query={query} convs={convs} groupNames={groupNames} onOpen={onOpen} />
      ) : !convs.length ? (
        <p className="conv-empty">{t("noConversations")}</p>
      ) : (
        <ul
          className="conv-list"
          role="listbox"
          aria-label={t("conversations")}
          data-testid="conv-list"
          data-count={convs.length}
          ref={listRef}
          onScroll={(e) => setView({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })}
        >
          {range[0] > 0 && <li role="presentation" className="conv-spacer" style={{ height: range[0] * rowH }} />}
          {convs.slice(range[0], range[1]).map((c, i) => {
            const key = convKey(c);
            const p = convPreview(c, t, me);
            const name = convName(c, groupNames);
            const pinned = isPinned(c);
            const muted = isMuted(c);
            return (
              <li
                key={key}
                role="option"
                aria-selected={key === openKey}
                aria-posinset={range[0] + i + 1}
                aria-setsize={convs.length}
                className={"conv-item" + (pinned ? " pinned" : "")}
                onContextMenu={(e) => {
                  e.preventDefault();
                  setMenu({ key, x: e.clientX, y: e.clientY });
                }}
              >
                <button
                  type="button"
                  className={"conv" + (key === openKey ? " active" : "")}
                  onClick={() => onOpen(c)}
                  data-testid={`conv-${c.conv_id}`}
                  data-pinned={pinned ? "true" : undefined}
                  data-muted={muted ? "true" : undefined}
                >
                  <Avatar id={c.conv_id} name={name} group={c.conv_type === 2} url={c.conv_face_url} />
                  <span className="conv-main">
                    <span className="conv-top">
                      <span className="conv-name">
                        {name}
                        {pinned && <span className="conv-mark pin-mark" title={t("pinned")} aria-label={t("pinned")} data-testid="pin-mark"><IconPin /></span>}
                      </span>
                      <span className="conv-time">{listTime(convTime(c), lang, t("yesterday"))}</span>
                    </span>
                    <span className="conv-bottom">
                      <span className="conv-preview">
                        {p.draft && <span className="draft-mark">{t("draft")} </span>}
                        {!p.draft && c.conv_unread_num > 0 && (c.conv_group_at_info_array?.length ?? 0) > 0 && (
                          <span className="at-mark" data-testid="at-mark">
                            {c.conv_group_at_info_array!.some((a) => a.conv_group_at_info_at_type !== 2) ? t("chat_atMe") : t("chat_atAll")}{" "}
                          </span>
                        )}
                        {p.text}
                      </span>
                      {muted && <span className="conv-mark mute-mark" title={t("muted")} aria-label={t("muted")} data-testid="mute-mark"><IconMuted /></span>}
                      {c.conv_unread_num > 0 && (
                        <span className={"badge" + (muted ? " quiet" : "")} aria-label={t("unread", { n: c.conv_unread_num })} data-testid="unread-badge">
                          {c.conv_unread_num > 99 ? "99+" : c.conv_unread_num}
                        </span>
                      )}
                    </span>
                  </span>
                </button>
                <button
                  type="button"
                  className="icon conv-more"
                  aria-label={t("convMenu")}
                  title={t("convMenu")}
                  aria-haspopup="menu"
                  onClick={(e) => {
                    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
                    setMenu(menu?.key === key ? null : { key, x: r.left, y: r.bottom });
                  }}
                  data-testid={`conv-menu-${c.conv_id}`}
                >
                  ⋯
                </button>
              </li>
            );
          })}
          {range[1] < convs.length && <li role="presentation" className="conv-spacer" style={{ height: (convs.length - range[1]) * rowH }} />}
        </ul>
      )}
      {menu && menuConv && <ConvMenu conv={menuConv} x={menu.x} y={menu.y} onClose={() => setMenu(null)} onAction={(a) => run(menuConv, a)} />}
    </div>
  );
}

function ConvMenu({ conv, x, y, onClose, onAction }: { conv: ConvInfo; x: number; y: number; onClose: () => void; onAction: (a: ConvMenuAction) => void }) {
  const { t } = useI18n();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const away = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    const esc = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    document.addEventListener("mousedown", away);
    document.addEventListener("keydown", esc);
    ref.current?.querySelector("button")?.focus();
    return () => {
      document.removeEventListener("mousedown", away);
      document.removeEventListener("keydown", esc);
    };
  }, [onClose]);
  const style = { left: Math.min(x, window.innerWidth - 220), top: Math.min(y, window.innerHeight - 240) };
  return (
    <div className="conv-menu" role="menu" ref={ref} style={style} data-testid="conv-menu">
      {confirmDelete ? (
        <>
          <p className="conv-menu-note">{t("confirmDeleteChat")}</p>
          <button type="button" role="menuitem" className="danger" onClick={() => onAction("delete")} data-testid="menu-confirm-delete">{t("deleteChat")}</button>
          <button type="button" role="menuitem" onClick={onClose}>{t("cancel")}</button>
        </>
      ) : (
        convMenu(conv).map((a) => (
          <button
            key={a}
            type="button"
            role="menuitem"
            className={a === "delete" ? "danger" : undefined}
            onClick={() => (a === "delete" ? setConfirmDelete(true) : onAction(a))}
            data-testid={`menu-${a}`}
          >
            {t(a === "delete" ? "deleteChat" : a)}
          </button>
        ))
      )}
    </div>
  );
}
