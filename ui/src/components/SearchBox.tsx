import { useEffect, useState } from "react";
import { useI18n } from "../i18n";
import { isCmdError, shell } from "../api/shell";
import { searchGroups, searchKeywords, type SearchGroup } from "../lib/convs";
import { convName } from "../lib/preview";
import { listTime } from "../lib/time";
import { convKey, type ConvInfo } from "../tim/types";
import { Avatar } from "./Avatar";

/** How long typing must pause before a search runs. */
const DEBOUNCE_MS = 250;

/** The search field at the top of the conversation list. */
export function SearchBox({ query, setQuery }: { query: string; setQuery: (q: string) => void }) {
  const { t } = useI18n();
  return (
    <div className="search-box" role="search">
      <input
        type="search"
        value={query}
        placeholder={t("searchPlaceholder")}
        aria-label={t("searchPlaceholder")}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => e.key === "Escape" && setQuery("")}
        data-testid="search-input"
      />
      {query && (
        <button type="button" className="icon search-clear" aria-label={t("searchClear")} title={t("searchClear")} onClick={() => setQuery("")}>
          ×
        </button>
      )}
    </div>
  );
}

/** Local message search (TIMMsgSearchLocalMessages), debounced, grouped per conversation. */
export function SearchResults({ query, convs, groupNames, onOpen }: {
  query: string; convs: ConvInfo[]; groupNames: Record<string, string>; onOpen: (c: ConvInfo, msgId?: string) => void;
}) {
  const { t, lang } = useI18n();
  const [groups, setGroups] = useState<SearchGroup[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const keywords = searchKeywords(query);
  const kwKey = keywords.join("\u0000");

  useEffect(() => {
    setGroups(null);
    setError(null);
    if (!keywords.length) return;
    let live = true;
    const timer = setTimeout(async () => {
      try {
        const r = await shell.msgSearch(keywords, 20);
        if (live) setGroups(searchGroups(r, keywords));
      } catch (e) {
        if (live) setError(isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e));
      }
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [kwKey]); // eslint-disable-line react-hooks/exhaustive-deps

  if (error) return <p className="banner error" role="alert">{error}</p>;
  if (!groups) return <p className="conv-empty" data-testid="search-busy">{t("searching")}</p>;
  if (!groups.length) return <p className="conv-empty" data-testid="search-empty">{t("noResults")}</p>;
  return (
    <ul className="search-results" aria-label={t("searchPlaceholder")} data-testid="search-results">
      {groups.map((g) => {
        const known = convs.find((c) => convKey(c) === g.key);
        const conv: ConvInfo = known ?? { conv_id: g.conv_id, conv_type: g.conv_type, conv_unread_num: 0, conv_active_time: 0 };
        const name = convName(conv, groupNames);
        return (
          <li key={g.key} className="search-group" data-testid={`search-group-${g.conv_id}`}>
            <button type="button" className="search-conv" onClick={() => onOpen(conv)}>
              <Avatar id={g.conv_id} name={name} group={g.conv_type === 2} size={28} url={conv.conv_face_url} />
              <span className="search-conv-name">{name}</span>
              {g.total > g.hits.length && <span className="search-count">{t("searchMore", { n: g.total })}</span>}
            </button>
            <ul>
              {g.hits.map((h) => (
                <li key={h.msg.message_msg_id}>
                  <button type="button" className="search-hit" onClick={() => onOpen(conv, h.msg.message_msg_id)} data-testid="search-hit">
                    <span className="search-hit-text">
                      {h.segments.map((s, i) => (s.hit ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>))}
                    </span>
                    <span className="conv-time">{listTime(h.msg.message_server_time || h.msg.message_client_time, lang, t("yesterday"))}</span>
                  </button>
                </li>
              ))}
            </ul>
          </li>
        );
      })}
    </ul>
  );
}
