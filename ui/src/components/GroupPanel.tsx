import { useCallback, useEffect, useState } from "react";
import { useI18n } from "../i18n";
import { isCmdError, shell, type GroupInfoChange } from "../api/shell";
import { useCoreEvents } from "../lib/events";
import { groupActions } from "../lib/groupRoles";
import { GroupAddOption, MemberRole, RecvOpt, type GroupDetailInfo, type GroupMemberInfo, type GroupTipsElem } from "../tim/group";
import { GroupType } from "../tim/types";
import { Avatar } from "./Avatar";
import { ConfirmDialog, InviteDialog, MuteDialog } from "./GroupDialogs";
import { MemberList, memberName, type MemberAction } from "./MemberList";

type Ask =
  | { kind: "invite" }
  | { kind: "mute"; m: GroupMemberInfo }
  | { kind: "confirm"; title: string; text: string; danger: boolean; run: () => Promise<void> };

/** The group info side panel: profile, receive option, admin settings, members, leave. */
export function GroupPanel({ groupId, me, onClose, onLeft, onRenamed }: {
  groupId: string; me: string; onClose: () => void; onLeft: () => void; onRenamed: (name: string) => void;
}) {
  const { t } = useI18n();
  const [info, setInfo] = useState<GroupDetailInfo | null>(null);
  const [members, setMembers] = useState<GroupMemberInfo[]>([]);
  const [nextSeq, setNextSeq] = useState(0);
  const [self, setSelf] = useState<GroupMemberInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ask, setAsk] = useState<Ask | null>(null);

  const fail = useCallback((e: unknown) => setError(isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e)), [t]);

  const load = useCallback(async () => {
    try {
      const [i, page, mine] = await Promise.all([
        shell.groupInfo(groupId),
        shell.groupMembers(groupId, 0),
        shell.groupMembers(groupId, 0, [me]),
      ]);
      setInfo(i);
      setMembers(page.group_get_memeber_info_list_result_info_array ?? []);
      setNextSeq(page.group_get_memeber_info_list_result_next_seq ?? 0);
      setSelf(mine.group_get_memeber_info_list_result_info_array?.[0] ?? null);
      if (i.group_detial_info_group_name) onRenamed(i.group_detial_info_group_name);
    } catch (e) {
      fail(e);
    }
  }, [groupId, me]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => void load(), [load]);

  // Tips of this group change what the panel shows.
  useCoreEvents((e) => {
    if (e.event === "TIMGroupTipsEventCallback" && (e.json as GroupTipsElem & { group_tips_elem_group_id?: string })?.group_tips_elem_group_id === groupId) {
      void load();
    }
  });

  const more = async () => {
    try {
      const page = await shell.groupMembers(groupId, nextSeq);
      setMembers((cur) => {
        const seen = new Set(cur.map((m) => m.group_member_info_identifier));
        return [...cur, ...(page.group_get_memeber_info_list_result_info_array ?? []).filter((m) => !seen.has(m.group_member_info_identifier))];
      });
      setNextSeq(page.group_get_memeber_info_list_result_next_seq ?? 0);
    } catch (e) {
      fail(e);
    }
  };

  /** Run one change, then show the group as it is now. */
  const act = async (f: () => Promise<unknown>) => {
    setError(null);
    try {
      await f();
      await load();
      return true;
    } catch (e) {
      fail(e);
      return false;
    }
  };

  const type = info?.group_detial_info_group_type ?? GroupType.Public;
  const myRole = self?.group_member_info_member_role ?? MemberRole.None;
  const can = groupActions(type, myRole);
  const modify = (change: GroupInfoChange) => act(() => shell.groupModifyInfo(groupId, change));

  const onMember = (a: MemberAction, m: GroupMemberInfo) => {
    const id = m.group_member_info_identifier;
    const name = memberName(m);
    switch (a) {
      case "setAdmin": void act(() => shell.groupModifyMember(groupId, id, { role: MemberRole.Admin })); break;
      case "cancelAdmin": void act(() => shell.groupModifyMember(groupId, id, { role: MemberRole.Normal })); break;
      case "unmute": void act(() => shell.groupModifyMember(groupId, id, { shutupSecs: 0 })); break;
      case "mute": setAsk({ kind: "mute", m }); break;
      case "kick":
        setAsk({ kind: "confirm", title: t("kick"), text: t("confirmKick", { name }), danger: true, run: async () => void (await act(() => shell.groupKick(groupId, [id]))) });
        break;
      case "transferTo":
        setAsk({ kind: "confirm", title: t("transferOwner"), text: t("confirmTransfer", { name }), danger: false, run: async () => void (await act(() => shell.groupTransferOwner(groupId, id))) });
        break;
    }
  };

  const leave = (dismiss: boolean) =>
    setAsk({
      kind: "confirm",
      title: dismiss ? t("dismissGroup") : t("quitGroup"),
      text: dismiss ? t("confirmDismiss") : t("confirmQuit"),
      danger: true,
      run: async () => {
        try {
          await (dismiss ? shell.groupDismiss(groupId) : shell.groupQuit(groupId));
          onLeft();
        } catch (e) {
          fail(e);
        }
      },
    });

  const invite = async (ids: string[]): Promise<string | null> => {
    try {
      const r = await shell.groupInvite(groupId, ids);
      const n = (code: number) => r.filter((x) => x.group_invite_member_result_result === code).length;
      await load();
      return t("inviteResult", { added: n(1), invited: n(3), already: n(2), failed: n(0) });
    } catch (e) {
      return isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e);
    }
  };

  const name = info?.group_detial_info_group_name || groupId;
  return (
    <aside className="group-panel" aria-label={t("groupInfo")} data-testid="group-panel" onKeyDown={(e) => e.key === "Escape" && !ask && onClose()}>
      <header className="panel-head">
        <h2>{t("groupInfo")}</h2>
        <button type="button" className="icon" aria-label={t("close")} title={t("close")} onClick={onClose} data-testid="panel-close">✕</button>
      </header>
      <div className="panel-body">
        {error && <div className="banner error" role="alert" onClick={() => setError(null)} data-testid="panel-error">{error}</div>}
        <div className="panel-id">
          <Avatar id={groupId} name={name} size={48} group url={info?.group_detial_info_face_url} />
          <div>
            <div className="panel-name" data-testid="panel-name">{name}</div>
            <div className="muted small">{t("groupId")}: <span className="selectable" data-testid="panel-group-id">{groupId}</span></div>
            {info && <div className="muted small">{t("memberCount", { n: info.group_detial_info_member_num })}</div>}
          </div>
        </div>
        {info && (
          <>
            <Field label={t("groupName")} value={info.group_detial_info_group_name} editable={can.editProfile} max={30} testId="field-name" onSave={(v) => modify({ name: v })} />
            <Field label={t("groupNotification")} value={info.group_detial_info_notification} editable={can.editProfile} max={300} multiline testId="field-notification" onSave={(v) => modify({ notification: v })} />
            <Field label={t("groupIntroduction")} value={info.group_detial_info_introduction} editable={can.editProfile} max={240} multiline testId="field-introduction" onSave={(v) => modify({ introduction: v })} />
            <Field label={t("groupAvatarUrl")} value={info.group_detial_info_face_url} editable={can.editProfile} max={100} testId="field-face" onSave={(v) => modify({ faceUrl: v })} />
            {self && (
              <label className="inline">
                {t("recvOpt")}
                <select
                  value={self.group_member_info_msg_flag ?? RecvOpt.Receive}
                  onChange={(e) => void act(() => shell.groupSetRecvOpt(groupId, Number(e.target.value)))}
                  data-testid="recv-opt"
                >
                  <option value={RecvOpt.Receive}>{t("recvOptReceive")}</option>
                  <option value={RecvOpt.NotNotify}>{t("recvOptNotNotify")}</option>
                  <option value={RecvOpt.NotReceive}>{t("recvOptNotReceive")}</option>
                </select>
              </label>
            )}
            {can.editAdminSettings && (
              <>
                <label className="inline">
                  <input
                    type="checkbox"
                    checked={info.group_detial_info_is_shutup_all}
                    onChange={(e) => void modify({ shutupAll: e.target.checked })}
                    data-testid="mute-all"
                  />
                  {t("muteAll")}
                </label>
                {type === GroupType.Public && (
                  <label className="inline">
                    {t("addOption")}
                    <select value={info.group_detial_info_add_option} onChange={(e) => void modify({ addOption: Number(e.target.value) })} data-testid="add-option">
                      <option value={GroupAddOption.Any}>{t("addOptAny")}</option>
                      <option value={GroupAddOption.Auth}>{t("addOptAuth")}</option>
                      <option value={GroupAddOption.Forbid}>{t("addOptForbid")}</option>
                    </select>
                  </label>
                )}
              </>
            )}
          </>
        )}
        <div className="panel-section-head">
          <h3>{t("membersTitle")}</h3>
          {can.invite && <button type="button" className="secondary small-btn" onClick={() => setAsk({ kind: "invite" })} data-testid="invite-button">{t("invite")}</button>}
        </div>
        <MemberList members={members} groupType={type} myRole={myRole} me={me} hasMore={nextSeq !== 0} onMore={() => void more()} onAction={onMember} />
        <div className="panel-actions">
          {can.quit && <button type="button" className="danger" onClick={() => leave(false)} data-testid="quit-group">{t("quitGroup")}</button>}
          {can.dismiss && <button type="button" className="danger" onClick={() => leave(true)} data-testid="dismiss-group">{t("dismissGroup")}</button>}
        </div>
      </div>
      {ask?.kind === "invite" && <InviteDialog onInvite={invite} onClose={() => setAsk(null)} />}
      {ask?.kind === "mute" && (
        <MuteDialog
          name={memberName(ask.m)}
          onClose={() => setAsk(null)}
          onMute={(secs) => {
            const id = ask.m.group_member_info_identifier;
            setAsk(null);
            void act(() => shell.groupModifyMember(groupId, id, { shutupSecs: secs }));
          }}
        />
      )}
      {ask?.kind === "confirm" && (
        <ConfirmDialog
          title={ask.title}
          text={ask.text}
          danger={ask.danger}
          onClose={() => setAsk(null)}
          onConfirm={() => {
            const run = ask.run;
            setAsk(null);
            void run();
          }}
        />
      )}
    </aside>
  );
}

/** A profile field: its value, and for those allowed an Edit button that turns it into an input. */
function Field({ label, value, editable, max, multiline, testId, onSave }: {
  label: string; value: string; editable: boolean; max: number; multiline?: boolean; testId: string; onSave: (v: string) => Promise<boolean>;
}) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<string | null>(null);
  const save = async () => {
    if (draft !== null && (await onSave(draft))) setDraft(null);
  };
  return (
    <div className="panel-field" data-testid={testId}>
      <div className="panel-field-head">
        <span className="muted small">{label}</span>
        {editable && draft === null && (
          <button type="button" className="link-btn" onClick={() => setDraft(value)} data-testid={`${testId}-edit`}>{t("edit")}</button>
        )}
      </div>
      {draft === null ? (
        <div className="panel-field-value" data-testid={`${testId}-value`}>{value || "—"}</div>
      ) : (
        <form onSubmit={(e) => { e.preventDefault(); void save(); }}>
          {multiline ? (
            <textarea value={draft} onChange={(e) => setDraft(e.target.value)} rows={3} maxLength={max} autoFocus aria-label={label} data-testid={`${testId}-input`} />
          ) : (
            <input value={draft} onChange={(e) => setDraft(e.target.value)} maxLength={max} autoFocus aria-label={label} data-testid={`${testId}-input`} />
          )}
          <div className="dialog-actions">
            <button type="button" className="secondary" onClick={() => setDraft(null)}>{t("cancel")}</button>
            <button type="submit" className="primary" data-testid={`${testId}-save`}>{t("save")}</button>
          </div>
        </form>
      )}
    </div>
  );
}
