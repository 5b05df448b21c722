import { useEffect, useMemo, useState } from "react";
import { useI18n } from "../i18n";
import { shell } from "../api/shell";
import { convName } from "../lib/preview";
import { type ConvInfo } from "../tim/types";
import { Avatar } from "./Avatar";
import { Dialog } from "./Dialog";

/** Pick a conversation to forward to: the conversation list (no system conversation),
 *  filtered as you type. */
export function ForwardDialog({ title, onPick, onClose }: { title: string; onPick: (c: ConvInfo, name: string) => void; onClose: () => void }) {
  const { t } = useI18n();
  const [convs, setConvs] = useState<ConvInfo[] | null>(null);
  const [q, setQ] = useState("");
  useEffect(() => {
    shell.convList().then((l) => setConvs(l.filter((c) => c.conv_type === 1 || c.conv_type === 2))).catch(() => setConvs([]));
  }, []);
  const shown = useMemo(() => {
    const s = q.trim().toLowerCase();
    return (convs ?? [])
      .map((c) => ({ c, name: convName(c) }))
      .filter((x) => !s || x.name.toLowerCase().includes(s) || x.c.conv_id.toLowerCase().includes(s));
  }, [convs, q]);
  return (
    <Dialog title={title} onClose={onClose} testId="forward-dialog">
      <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={t("chat_forwardSearch")} aria-label={t("chat_forwardSearch")} data-autofocus />
      <ul className="forward-list" role="listbox" aria-label={title}>
        {convs === null && <li className="muted">{t("media_loading")}</li>}
        {convs !== null && shown.length === 0 && <li className="muted">{t("chat_forwardNone")}</li>}
        {shown.map(({ c, name }) => (
          <li key={`${c.conv_type}:${c.conv_id}`}>
            <button type="button" className="forward-target" onClick={() => onPick(c, name)} data-testid={`forward-to-${c.conv_id}`}>
              <Avatar id={c.conv_id} name={name} size={28} group={c.conv_type === 2} />
              <span>{name}</span>
            </button>
          </li>
        ))}
      </ul>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>{t("cancel")}</button>
      </div>
    </Dialog>
  );
}
