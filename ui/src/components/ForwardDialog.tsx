import { useEffect, useMemo, useState } from "react";
import { useI18n } from "../i18n";
import { shell } from "../api/shell";
import { convName } from "../lib/preview";
import { forwardTargets, typedTarget } from "../lib/forward";
import { ConvType, type ConvInfo } from "../tim/types";
import { Avatar } from "./Avatar";
import { Dialog } from "./Dialog";

/** Pick where to forward: a conversation from the list (filtered as you type), or a user or
 *  group id typed by hand (someone with no conversation yet). `onPick` resolves to null when
 *  sent, else the reason, shown here; the dialog stays open for another try. */
export function ForwardDialog({ title, onPick, onClose }: {
  title: string; onPick: (c: ConvInfo, name: string, typed: boolean) => Promise<string | null>; onClose: () => void;
}) {
  const { t } = useI18n();
  const [convs, setConvs] = useState<ConvInfo[] | null>(null);
  const [q, setQ] = useState("");
  const [id, setId] = useState("");
  const [idType, setIdType] = useState<number>(ConvType.C2C);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [groupNames, setGroupNames] = useState<Record<string, string>>({});
  useEffect(() => {
    shell.convList().then(setConvs).catch(() => setConvs([]));
    shell
      .groupJoinedList()
      .then((gs) => setGroupNames(Object.fromEntries(gs.map((g) => [g.group_base_info_group_id, g.group_base_info_group_name]))))
      .catch(() => {});
  }, []);
  const shown = useMemo(() => forwardTargets(convs ?? [], q, (c) => convName(c, groupNames)), [convs, q, groupNames]);

  const pick = async (c: ConvInfo, name: string, typed: boolean) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    const why = await onPick(c, name, typed);
    setBusy(false);
    if (why) setError(why);
  };
  const sendToId = () => {
    const r = typedTarget(id, idType);
    if ("error" in r) return setError(t(r.error));
    const known = convs?.find((c) => c.conv_id === r.c.conv_id && c.conv_type === r.c.conv_type);
    void pick(known ?? r.c, known ? convName(known, groupNames) : r.c.conv_id, !known);
  };

  return (
    <Dialog title={title} onClose={onClose} testId="forward-dialog">
      <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={t("chat_forwardSearch")} aria-label={t("chat_forwardSearch")} data-autofocus data-testid="forward-filter" />
      <ul className="forward-list" role="listbox" aria-label={title}>
        {convs === null && <li className="muted">{t("media_loading")}</li>}
        {convs !== null && shown.length === 0 && <li className="muted">{t("chat_forwardNone")}</li>}
        {shown.map(({ c, name }) => (
          <li key={`${c.conv_type}:${c.conv_id}`}>
            <button type="button" className="forward-target" disabled={busy} onClick={() => void pick(c, name, false)} data-testid={`forward-to-${c.conv_id}`}>
              <Avatar id={c.conv_id} name={name} size={28} group={c.conv_type === ConvType.Group} url={c.conv_face_url} />
              <span className="forward-name">{name}</span>
            </button>
          </li>
        ))}
      </ul>
      <form
        className="forward-by-id"
        onSubmit={(e) => {
          e.preventDefault();
          sendToId();
        }}
      >
        <span className="muted small">{t("fwd_toId")}</span>
        <div className="forward-by-id-row">
          <select value={idType} onChange={(e) => setIdType(Number(e.target.value))} aria-label={t("fwd_idType")} data-testid="forward-id-type">
            <option value={ConvType.C2C}>{t("fwd_user")}</option>
            <option value={ConvType.Group}>{t("fwd_group")}</option>
          </select>
          <input
            value={id}
            onChange={(e) => {
              setId(e.target.value);
              setError(null);
            }}
            placeholder={t("fwd_idPlaceholder")}
            aria-label={t("fwd_idPlaceholder")}
            maxLength={48}
            spellCheck={false}
            autoCapitalize="off"
            data-testid="forward-id"
          />
          <button type="submit" className="primary" disabled={busy || !id.trim()} data-testid="forward-id-send">{t("fwd_send")}</button>
        </div>
      </form>
      {error && <div className="banner error" role="alert" data-testid="forward-error">{error}</div>}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>{t("cancel")}</button>
      </div>
    </Dialog>
  );
}
