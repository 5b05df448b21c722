import { useI18n } from "../i18n";
import { AT_ALL, type MentionMember } from "../lib/mention";

/** The member list shown while typing "@…" in a group; the composer keeps the selection and
 *  handles the keys (↑ ↓ Enter Tab Escape). */
export function MentionPicker({ items, active, onPick, onHover }: {
  items: MentionMember[]; active: number; onPick: (m: MentionMember) => void; onHover: (i: number) => void;
}) {
  const { t } = useI18n();
  return (
    <ul className="mention-picker" role="listbox" id="mention-picker" aria-label={t("chat_mentionPick")} data-testid="mention-picker">
      {items.length === 0 && <li className="muted">{t("chat_mentionNone")}</li>}
      {items.map((m, i) => (
        <li
          key={m.id}
          id={`mention-opt-${i}`}
          role="option"
          aria-selected={i === active}
          className={i === active ? "active" : ""}
          onMouseDown={(e) => {
            e.preventDefault(); // keep the focus in the composer
            onPick(m);
          }}
          onMouseEnter={() => onHover(i)}
          data-testid={`mention-${m.id === AT_ALL ? "all" : m.id}`}
        >
          <span className="mention-name">{m.id === AT_ALL ? t("chat_mentionAll") : m.name}</span>
          {m.id !== AT_ALL && m.name !== m.id && <span className="muted"> {m.id}</span>}
        </li>
      ))}
    </ul>
  );
}
