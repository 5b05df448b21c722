import { useState, type FormEvent } from "react";
import { useI18n } from "../i18n";
import { duration } from "../lib/groupTips";
import { Dialog } from "./Dialog";

/** A yes/no question; the confirm button is the default. */
export function ConfirmDialog({ title, text, danger, onConfirm, onClose }: {
  title: string; text: string; danger?: boolean; onConfirm: () => void; onClose: () => void;
}) {
  const { t } = useI18n();
  return (
    <Dialog title={title} onClose={onClose} testId="confirm-dialog">
      <p>{text}</p>
      <div className="dialog-actions">
        <button type="button" className="secondary" onClick={onClose}>{t("cancel")}</button>
        <button type="button" className={danger ? "danger" : "primary"} onClick={onConfirm} data-autofocus data-testid="confirm-ok">
          {t("confirm")}
        </button>
      </div>
    </Dialog>
  );
}

/** User ids to invite, separated by commas or spaces. */
export function InviteDialog({ onInvite, onClose }: { onInvite: (ids: string[]) => Promise<string | null>; onClose: () => void }) {
  const { t } = useI18n();
  const [ids, setIds] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const list = ids.split(/[\s,，]+/).filter(Boolean);
    if (!list.length) return;
    setBusy(true);
    setOutcome(await onInvite(list));
    setBusy(false);
  };
  return (
    <Dialog title={t("inviteMembers")} onClose={onClose} testId="invite-dialog">
      <form onSubmit={submit}>
        <label>
          {t("groupMembers")}
          <input value={ids} onChange={(e) => setIds(e.target.value)} autoFocus required spellCheck={false} name="inviteIds" />
        </label>
        {outcome && <p className="notice" role="status" data-testid="invite-outcome">{outcome}</p>}
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={onClose}>{t("close")}</button>
          <button type="submit" className="primary" disabled={busy} data-testid="invite-submit">{t("invite")}</button>
        </div>
      </form>
    </Dialog>
  );
}

const MUTE_CHOICES = [60, 600, 3600, 12 * 3600, 86400, 7 * 86400];

/** How long to mute a member. */
export function MuteDialog({ name, onMute, onClose }: { name: string; onMute: (secs: number) => void; onClose: () => void }) {
  const { t } = useI18n();
  const [secs, setSecs] = useState(600);
  return (
    <Dialog title={t("muteFor", { name })} onClose={onClose} testId="mute-dialog">
      <form onSubmit={(e) => { e.preventDefault(); onMute(secs); }}>
        <div className="choice-row" role="radiogroup" aria-label={t("muteFor", { name })}>
          {MUTE_CHOICES.map((s) => (
            <label key={s} className="inline">
              <input type="radio" name="muteSecs" value={s} checked={secs === s} onChange={() => setSecs(s)} data-testid={`mute-${s}`} />
              {duration(s, t)}
            </label>
          ))}
        </div>
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={onClose}>{t("cancel")}</button>
          <button type="submit" className="primary" data-testid="mute-confirm">{t("confirm")}</button>
        </div>
      </form>
    </Dialog>
  );
}
