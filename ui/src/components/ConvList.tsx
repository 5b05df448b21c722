import { useI18n } from "../i18n";
import { convTime } from "../lib/convs";
import { convName, convPreview } from "../lib/preview";
import { listTime } from "../lib/time";
import { convKey, type ConvInfo } from "../tim/types";
import { Avatar } from "./Avatar";

export function ConvList({ convs, groupNames, openKey, onOpen }: { convs: ConvInfo[]; groupNames: Record<string, string>; openKey: string | null; onOpen: (c: ConvInfo) => void }) {
  const { t, lang } = useI18n();
  if (!convs.length) return <p className="conv-empty">{t("noConversations")}</p>;
  return (
    <ul className="conv-list" role="listbox" aria-label={t("conversations")}>
      {convs.map((c) => {
        const key = convKey(c);
        const p = convPreview(c, t);
        const name = convName(c, groupNames);
        return (
          <li key={key} role="option" aria-selected={key === openKey}>
            <button
              type="button"
              className={"conv" + (key === openKey ? " active" : "")}
              onClick={() => onOpen(c)}
              data-testid={`conv-${c.conv_id}`}
            >
              <Avatar id={c.conv_id} name={name} group={c.conv_type === 2} />
              <span className="conv-main">
                <span className="conv-top">
                  <span className="conv-name">{name}</span>
                  <span className="conv-time">{listTime(convTime(c), lang, t("yesterday"))}</span>
                </span>
                <span className="conv-bottom">
                  <span className="conv-preview">
                    {p.draft && <span className="draft-mark">{t("draft")} </span>}
                    {p.text}
                  </span>
                  {c.conv_unread_num > 0 && (
                    <span className="badge" aria-label={t("unread", { n: c.conv_unread_num })} data-testid="unread-badge">
                      {c.conv_unread_num > 99 ? "99+" : c.conv_unread_num}
                    </span>
                  )}
                </span>
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
