import { useState, type FormEvent } from "react";
import { useI18n } from "../i18n";
import { isCmdError, shell } from "../api/shell";
import { GroupType } from "../tim/types";
import { GroupAddOption } from "../tim/group";
import { Dialog } from "./Dialog";

export function NewChatDialog({ onClose, onStart }: { onClose: () => void; onStart: (userId: string) => void }) {
  const { t } = useI18n();
  const [id, setId] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (id.trim()) onStart(id.trim());
  };
  return (
    <Dialog title={t("newChat")} onClose={onClose}>
      <form onSubmit={submit}>
        <label>
          {t("peerUserId")}
          <input value={id} onChange={(e) => setId(e.target.value)} autoFocus required spellCheck={false} name="peer" />
        </label>
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={onClose}>{t("cancel")}</button>
          <button type="submit" className="primary" data-testid="start-chat">{t("startChat")}</button>
        </div>
      </form>
    </Dialog>
  );
}

export function NewGroupDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (groupId: string, name: string) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState("");
  const [type, setType] = useState<number>(GroupType.Private);
  const [members, setMembers] = useState("");
  const [addOption, setAddOption] = useState<number>(GroupAddOption.Any);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const ids = members.split(/[\s,，]+/).filter(Boolean);
      const r = await shell.groupCreate(name.trim(), type, ids, type === GroupType.Public ? addOption : undefined);
      onCreated(r.create_group_result_groupid, name.trim());
    } catch (err) {
      setError(isCmdError(err) ? t("errorCode", { code: err.code, message: err.message }) : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={t("newGroup")} onClose={onClose}>
      <form onSubmit={submit}>
        <label>
          {t("groupName")}
          <input value={name} onChange={(e) => setName(e.target.value)} autoFocus required name="groupName" />
        </label>
        <label>
          {t("groupType")}
          <select value={type} onChange={(e) => setType(Number(e.target.value))} name="groupType">
            <option value={GroupType.Private}>{t("groupTypeWork")}</option>
            <option value={GroupType.Public}>{t("groupTypePublic")}</option>
            <option value={GroupType.ChatRoom}>{t("groupTypeMeeting")}</option>
          </select>
        </label>
        {type === GroupType.Public && (
          <label>
            {t("addOption")}
            <select value={addOption} onChange={(e) => setAddOption(Number(e.target.value))} name="addOption">
              <option value={GroupAddOption.Any}>{t("addOptAny")}</option>
              <option value={GroupAddOption.Auth}>{t("addOptAuth")}</option>
              <option value={GroupAddOption.Forbid}>{t("addOptForbid")}</option>
            </select>
          </label>
        )}
        <label>
          {t("groupMembers")}
          <input value={members} onChange={(e) => setMembers(e.target.value)} name="groupMembers" spellCheck={false} />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={onClose}>{t("cancel")}</button>
          <button type="submit" className="primary" disabled={busy} data-testid="create-group">{t("create")}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** Join a group by its id, with a hello message for the admins when it needs approval. */
export function JoinGroupDialog({ onClose, onJoined }: { onClose: () => void; onJoined: (groupId: string) => void }) {
  const { t } = useI18n();
  const [id, setId] = useState("");
  const [hello, setHello] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const gid = id.trim();
    if (!gid) return;
    setBusy(true);
    setError(null);
    try {
      await shell.groupJoin(gid, hello);
      // Joined at once, or a request waits for an admin: the joined list tells.
      const joined = (await shell.groupJoinedList()).some((g) => g.group_base_info_group_id === gid);
      if (joined) onJoined(gid);
      else setPending(true);
    } catch (err) {
      setError(isCmdError(err) ? t("errorCode", { code: err.code, message: err.message }) : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={t("joinGroup")} onClose={onClose} testId="join-dialog">
      <form onSubmit={submit}>
        <label>
          {t("groupId")}
          <input value={id} onChange={(e) => setId(e.target.value)} autoFocus required spellCheck={false} name="joinGroupId" />
        </label>
        <label>
          {t("helloMsg")}
          <input value={hello} onChange={(e) => setHello(e.target.value)} name="helloMsg" maxLength={300} />
        </label>
        {pending && <p className="notice" role="status" data-testid="join-pending">{t("joinPending")}</p>}
        {error && <p className="error" role="alert">{error}</p>}
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={onClose}>{pending ? t("close") : t("cancel")}</button>
          {!pending && <button type="submit" className="primary" disabled={busy} data-testid="join-submit">{t("join")}</button>}
        </div>
      </form>
    </Dialog>
  );
}
