import { type FormEvent, useCallback, useEffect, useReducer, useState } from "react";
import { useI18n } from "../i18n";
import { isCmdError, shell, type SignedIn } from "../api/shell";
import { convsReducer } from "../lib/convs";
import { convName } from "../lib/preview";
import { useCoreEvents } from "../lib/events";
import { ConvEvent, convKey, NetworkStatus, type ConvInfo } from "../tim/types";
import { ConvList } from "./ConvList";
import { Chat } from "./Chat";
import { Avatar } from "./Avatar";
import { IconChat, IconGroup, IconSettings } from "./Icons";
import { Dialog } from "./Dialog";
import { JoinGroupDialog, NewChatDialog, NewGroupDialog } from "./NewDialogs";
import { GroupPanel } from "./GroupPanel";
import { Inbox } from "./Inbox";
import { badgeText, initialPendencies, pendencyReducer } from "../lib/pendency";
import { endedBy } from "../lib/chatState";
import { GroupReportType, GroupTipType } from "../tim/group";
import type { Message, UserProfile } from "../tim/types";
import { LangSwitch, ThemeSwitch } from "./Settings";
import type { Theme } from "../App";
import { startupMark } from "../lib/startup";
import { serverRules, type ServerRules } from "../lib/msgActions";

export function Main({ session, network, theme, setTheme, onSignOut, onSignedOutEverywhere }: {
  session: SignedIn; network: number; theme: Theme; setTheme: (t: Theme) => void; onSignOut: () => void;
  onSignedOutEverywhere: () => void;
}) {
  const { t } = useI18n();
  const [convs, dispatch] = useReducer(convsReducer, []);
  const [openKey, setOpenKey] = useState<string | null>(null);
  // A search hit opens its conversation at that message.
  const [found, setFound] = useState<{ key: string; msgId: string } | null>(null);
  const [pendingConv, setPendingConv] = useState<ConvInfo | null>(null);
  const [dialog, setDialog] = useState<"chat" | "group" | "join" | "settings" | null>(null);
  const [panel, setPanel] = useState(false);
  const [pendencies, pendDispatch] = useReducer(pendencyReducer, initialPendencies);
  const [error, setError] = useState<string | null>(null);
  const [groupNames, setGroupNames] = useState<Record<string, string>>({});
  // My own profile (nickname, avatar), shown in the header and edited in the settings.
  const [profile, setProfile] = useState<{ nick: string; face: string }>({ nick: "", face: "" });
  useEffect(() => {
    shell
      .timCall("TIMProfileGetUserProfileList", { json_get_user_profile_list_param: { friendship_getprofilelist_param_identifier_array: [session.user_id] } })
      .then((r) => {
        const mine = Array.isArray(r.json) ? (r.json as UserProfile[]).find((p) => p.user_profile_identifier === session.user_id) : undefined;
        if (mine) setProfile({ nick: mine.user_profile_nick_name ?? "", face: mine.user_profile_face_url ?? "" });
      })
      .catch(() => {});
  }, [session.user_id]);
  // What the server said of itself at login: its recall window for own messages, and its clock
  // (the recall menu follows the server's rule, not this machine's clock).
  const [server, setServer] = useState<ServerRules>({ revokeWindow: 0, skew: 0 });
  useEffect(() => {
    shell
      .timCall("ConfabServerInfo", {})
      .then((r) => setServer(serverRules(r.json, Date.now())))
      .catch(() => {});
  }, [session.user_id]);
  // Group avatars from the joined list: a conversation only learns its face URL from a tip, so
  // one set before I joined comes from here.
  const [groupFaces, setGroupFaces] = useState<Record<string, string>>({});

  const loadGroups = useCallback(async () => {
    try {
      const gs = await shell.groupJoinedList();
      setGroupNames(Object.fromEntries(gs.map((g) => [g.group_base_info_group_id, g.group_base_info_group_name])));
      setGroupFaces(Object.fromEntries(gs.map((g) => [g.group_base_info_group_id, g.group_base_info_face_url ?? ""])));
    } catch {
      /* names fall back to ids */
    }
  }, []);

  const reload = useCallback(async () => {
    try {
      const list = await shell.convList();
      startupMark("conv-list");
      dispatch({ type: "load", convs: list });
    } catch (e) {
      setError(isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e));
    }
  }, [t]);
  const loadPendencies = useCallback(async () => {
    try {
      pendDispatch({ type: "load", result: await shell.groupPendencyList(0) });
    } catch {
      /* the badge stays as it was */
    }
  }, []);
  useEffect(() => {
    void reload();
    void loadGroups();
    void loadPendencies();
  }, [reload, loadGroups, loadPendencies]);
  // A group conversation we have no name for yet (joined elsewhere, or just created).
  useEffect(() => {
    if (convs.some((c) => c.conv_type === 2 && !(c.conv_id in groupNames))) void loadGroups();
  }, [convs.length]); // eslint-disable-line react-hooks/exhaustive-deps

  useCoreEvents((e) => {
    if (e.event === "TIMConvEventCallback") {
      const ev = e as { conv_event: number; json: ConvInfo[] | "" };
      if (Array.isArray(ev.json)) dispatch({ type: "event", convEvent: ev.conv_event, convs: ev.json });
    } else if (e.event === "TIMGroupTipsEventCallback" && (e.json as { group_tips_elem_tip_type?: number })?.group_tips_elem_tip_type === GroupTipType.GroupInfoChange) {
      void loadGroups();
    } else if (e.event === "TIMNetworkStatusListenerCallback" && (e as { status: number }).status === NetworkStatus.Connected) {
      void reload();
      void loadPendencies();
    } else if (e.event === "TIMRecvNewMsgCallback") {
      // Group reports (system conversation): join requests and their outcome change the inbox;
      // joining, leaving, renames change the group names.
      // The open group ended for me (removed, dismissed): the SDK deletes its conversation, but
      // the chat stays open saying so until closed (its panel, no longer readable, closes).
      if (open?.conv_type === 2 && (e.json as Message[]).some((m) => endedBy(m, open.conv_id))) {
        setPendingConv({ ...open, conv_show_name: convName(open, groupNames) });
        setPanel(false);
      }
      const reports = (e.json as Message[]).flatMap((m) => m.message_elem_array).filter((el) => el.elem_type === 8);
      if (reports.length) {
        void loadPendencies();
        if (reports.some((r) => r.group_report_elem_report_type !== GroupReportType.AddRequest)) void loadGroups();
      }
    }
  });

  const INBOX = "inbox";
  const open = convs.find((c) => convKey(c) === openKey) ?? (pendingConv && convKey(pendingConv) === openKey ? pendingConv : null);
  // The system conversation (group reports) has no id and no name of its own.
  const shownConvs = convs.map((c) =>
    c.conv_type === 3 ? { ...c, conv_show_name: t("systemConv") }
    : c.conv_type === 2 && !c.conv_face_url && groupFaces[c.conv_id] ? { ...c, conv_face_url: groupFaces[c.conv_id] }
    : c,
  );

  useEffect(() => {
    void shell.convSetOpen(open ? { conv_id: open.conv_id, conv_type: open.conv_type } : null);
  }, [open?.conv_id, open?.conv_type]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => () => void shell.convSetOpen(null), []);

  const openConv = async (convId: string, convType: number) => {
    setDialog(null);
    try {
      const c = await shell.convCreate({ conv_id: convId, conv_type: convType });
      setPendingConv(c);
      setOpenKey(convKey(c));
    } catch {
      const c: ConvInfo = { conv_id: convId, conv_type: convType, conv_unread_num: 0, conv_active_time: 0 };
      setPendingConv(c);
      setOpenKey(convKey(c));
    }
  };

  const banner =
    network === NetworkStatus.Connecting ? t("connecting")
    : network === NetworkStatus.Disconnected ? t("disconnected")
    : network === NetworkStatus.ConnectFailed ? t("connectFailed")
    : null;

  return (
    <div className="layout">
      <aside className="sidebar" aria-label={t("conversations")}>
        <header className="sidebar-head">
          <Avatar id={session.user_id} name={profile.nick || session.user_id} size={32} url={profile.face} />
          <span className="me" data-testid="me" title={profile.nick ? `${profile.nick} (${session.user_id})` : session.user_id}>{session.user_id}</span>
          <button type="button" className="icon" title={t("newChat")} aria-label={t("newChat")} onClick={() => setDialog("chat")} data-testid="new-chat"><IconChat /></button>
          <button type="button" className="icon" title={t("newGroup")} aria-label={t("newGroup")} onClick={() => setDialog("group")} data-testid="new-group"><IconGroup /></button>
          <button type="button" className="icon" title={t("joinGroup")} aria-label={t("joinGroup")} onClick={() => setDialog("join")} data-testid="join-group"><IconJoin /></button>
          <button type="button" className="icon" title={t("settings")} aria-label={t("settings")} onClick={() => setDialog("settings")} data-testid="settings"><IconSettings /></button>
        </header>
        {banner && <div className="banner" role="status" data-testid="net-banner">{banner}</div>}
        {error && <div className="banner error" role="alert">{error}</div>}
        <button
          type="button"
          className={"inbox-entry" + (openKey === INBOX ? " active" : "")}
          onClick={() => { setOpenKey(INBOX); setPanel(false); void loadPendencies(); }}
          data-testid="inbox-entry"
        >
          <IconInbox />
          <span className="conv-name">{t("joinRequests")}</span>
          {pendencies.unread > 0 && (
            <span className="badge" aria-label={t("unread", { n: pendencies.unread })} data-testid="inbox-badge">{badgeText(pendencies.unread)}</span>
          )}
        </button>
        <ConvList convs={shownConvs} groupNames={groupNames} me={session.user_id} openKey={openKey} onOpen={(c, msgId) => { setOpenKey(convKey(c)); setFound(msgId ? { key: convKey(c), msgId } : null); setPanel(false); }} />
      </aside>
      <section className="chat-pane">
        {openKey === INBOX ? (
          <Inbox state={pendencies} dispatch={pendDispatch} groupNames={groupNames} onReload={loadPendencies} />
        ) : open ? (
          <div className="chat-with-panel">
            <Chat
              key={convKey(open)}
              conv={open}
              name={open.conv_type === 3 ? t("systemConv") : convName(open, groupNames)}
              me={session.user_id}
              server={server}
              onRead={() => dispatch({ type: "localRead", key: convKey(open) })}
              foundMsgId={found?.key === convKey(open) ? found.msgId : undefined}
              faceUrl={open.conv_face_url || (open.conv_type === 2 ? groupFaces[open.conv_id] : undefined)}
              onInfo={open.conv_type === 2 ? () => setPanel((p) => !p) : undefined}
              onClose={() => {
                setOpenKey(null);
                setPendingConv(null);
                setPanel(false);
              }}
            />
            {panel && open.conv_type === 2 && (
              <GroupPanel
                key={open.conv_id}
                groupId={open.conv_id}
                me={session.user_id}
                onClose={() => setPanel(false)}
                onRenamed={(name) => setGroupNames((g) => (g[open.conv_id] === name ? g : { ...g, [open.conv_id]: name }))}
                onLeft={() => {
                  // The SDK ends the conversation too (conversation Del once the report arrives).
                  dispatch({ type: "event", convEvent: ConvEvent.Del, convs: [open] });
                  setPanel(false);
                  setOpenKey(null);
                  setPendingConv(null);
                  void loadGroups();
                }}
              />
            )}
          </div>
        ) : (
          <div className="empty-chat">{t("selectConversation")}</div>
        )}
      </section>
      {dialog === "chat" && <NewChatDialog onClose={() => setDialog(null)} onStart={(id) => openConv(id, 1)} />}
      {dialog === "group" && <NewGroupDialog onClose={() => setDialog(null)} onCreated={(gid, name) => {
        setGroupNames((g) => ({ ...g, [gid]: name }));
        void openConv(gid, 2);
      }} />}
      {dialog === "join" && <JoinGroupDialog onClose={() => setDialog(null)} onJoined={(gid) => {
        void loadGroups();
        void openConv(gid, 2);
      }} />}
      {dialog === "settings" && (
        <SettingsDialog theme={theme} setTheme={setTheme} onClose={() => setDialog(null)} onSignOut={onSignOut} onSignedOutEverywhere={onSignedOutEverywhere} profile={profile} onProfile={setProfile} />
      )}
    </div>
  );
}

const IconJoin = () => (
  <svg width={18} height={18} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" aria-hidden>
    <path d="M15 3h4a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-4" /><path d="M10 17l5-5-5-5" /><path d="M15 12H3" />
  </svg>
);
const IconInbox = () => (
  <svg width={18} height={18} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" aria-hidden>
    <path d="M22 12h-6l-2 3h-4l-2-3H2" /><path d="M5.5 5.1 2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6l-3.5-6.9A2 2 0 0 0 16.8 4H7.2a2 2 0 0 0-1.7 1.1z" />
  </svg>
);

function SettingsDialog({ theme, setTheme, onClose, onSignOut, onSignedOutEverywhere, profile, onProfile }: {
  theme: Theme; setTheme: (t: Theme) => void; onClose: () => void; onSignOut: () => void; onSignedOutEverywhere: () => void;
  profile: { nick: string; face: string }; onProfile: (p: { nick: string; face: string }) => void;
}) {
  const { t } = useI18n();
  const [nick, setNick] = useState(profile.nick);
  const [face, setFace] = useState(profile.face);
  const [state, setState] = useState<{ kind: "idle" | "saving" | "saved" } | { kind: "error"; text: string }>({ kind: "idle" });
  const dirty = nick.trim() !== profile.nick || face.trim() !== profile.face;
  /** `TIMProfileModifySelfUserProfile`: others see it on my next messages. */
  const save = async () => {
    setState({ kind: "saving" });
    const next = { nick: nick.trim(), face: face.trim() };
    try {
      const r = await shell.timCall("TIMProfileModifySelfUserProfile", {
        json_modify_self_user_profile_param: { user_profile_item_nick_name: next.nick, user_profile_item_face_url: next.face },
      });
      if (r.result !== 0 || (r.code ?? 0) !== 0) {
        setState({ kind: "error", text: t("errorCode", { code: r.code ?? r.result, message: r.desc }) });
        return;
      }
      onProfile(next);
      setState({ kind: "saved" });
    } catch (e) {
      setState({ kind: "error", text: isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e) });
    }
  };
  return (
    <Dialog title={t("settings")} onClose={onClose}>
      <div className="settings">
        <fieldset className="profile-edit">
          <legend>{t("profile")}</legend>
          <label>
            {t("displayName")}
            <input value={nick} maxLength={64} onChange={(e) => setNick(e.target.value)} data-testid="profile-nick" />
          </label>
          <label>
            {t("avatarUrl")}
            <input value={face} maxLength={500} placeholder="https://…" onChange={(e) => setFace(e.target.value)} data-testid="profile-face" />
          </label>
          <div className="profile-actions">
            <button type="button" className="secondary" disabled={!dirty || state.kind === "saving"} onClick={() => void save()} data-testid="profile-save">{t("save")}</button>
            {state.kind === "saved" && !dirty && <span role="status" data-testid="profile-saved">{t("saved")}</span>}
            {state.kind === "error" && <span role="alert" className="error">{state.text}</span>}
          </div>
        </fieldset>
        <LangSwitch />
        <ThemeSwitch theme={theme} setTheme={setTheme} />
        <AccountSecurity onSignedOutEverywhere={onSignedOutEverywhere} />
      </div>
      <div className="dialog-actions">
        <button type="button" className="danger" onClick={onSignOut} data-testid="sign-out">{t("signOut")}</button>
        <button type="button" className="primary" onClick={onClose} autoFocus>{t("close")}</button>
      </div>
    </Dialog>
  );
}

/** Change the password (other devices are signed out) and sign out everywhere. */
function AccountSecurity({ onSignedOutEverywhere }: { onSignedOutEverywhere: () => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [old, setOld] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [state, setState] = useState<{ kind: "idle" | "busy" | "changed" | "confirm" } | { kind: "error"; text: string }>({ kind: "idle" });
  const fail = (e: unknown) => setState({ kind: "error", text: isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e) });
  const mismatch = again !== "" && again !== next;
  const change = async (ev: FormEvent) => {
    ev.preventDefault();
    if (next.length < 6) return setState({ kind: "error", text: t("passwordTooShort") });
    if (next !== again) return setState({ kind: "error", text: t("passwordsDiffer") });
    setState({ kind: "busy" });
    try {
      await shell.changePassword(old, next);
      setOld("");
      setNext("");
      setAgain("");
      setState({ kind: "changed" });
    } catch (e) {
      fail(e);
    }
  };
  const everywhere = async () => {
    if (state.kind !== "confirm") return setState({ kind: "confirm" });
    setState({ kind: "busy" });
    try {
      await shell.signOutEverywhere();
      onSignedOutEverywhere();
    } catch (e) {
      fail(e);
    }
  };
  return (
    <fieldset className="security">
      <legend>{t("accountSecurity")}</legend>
      {!open ? (
        <button type="button" className="secondary" onClick={() => setOpen(true)} data-testid="change-password-open">{t("changePassword")}</button>
      ) : (
        <form className="password-change" onSubmit={change}>
          <label>
            {t("currentPassword")}
            <input type="password" value={old} onChange={(e) => setOld(e.target.value)} required autoComplete="current-password" data-testid="password-old" />
          </label>
          <label>
            {t("newPassword")}
            <input type="password" value={next} onChange={(e) => setNext(e.target.value)} required minLength={6} autoComplete="new-password" data-testid="password-new" />
          </label>
          <label>
            {t("newPasswordAgain")}
            <input type="password" value={again} onChange={(e) => setAgain(e.target.value)} required autoComplete="new-password" aria-invalid={mismatch} data-testid="password-again" />
          </label>
          <p className="hint">{t("changePasswordHint")}</p>
          <button type="submit" className="secondary" disabled={state.kind === "busy" || !old || !next || mismatch} data-testid="password-save">{t("changePassword")}</button>
        </form>
      )}
      <button type="button" className="danger" onClick={() => void everywhere()} disabled={state.kind === "busy"} data-testid="sign-out-everywhere">
        {state.kind === "confirm" ? t("signOutEverywhereConfirm") : t("signOutEverywhere")}
      </button>
      {state.kind === "changed" && <span role="status" data-testid="password-changed">{t("passwordChanged")}</span>}
      {state.kind === "error" && <span role="alert" className="error">{state.text}</span>}
    </fieldset>
  );
}
