import { useCallback, useEffect, useReducer, useState } from "react";
import { useI18n } from "../i18n";
import { isCmdError, shell, type Session } from "../api/shell";
import { convsReducer } from "../lib/convs";
import { convName } from "../lib/preview";
import { useCoreEvents } from "../lib/events";
import { convKey, NetworkStatus, type ConvInfo } from "../tim/types";
import { ConvList } from "./ConvList";
import { Chat } from "./Chat";
import { Avatar } from "./Avatar";
import { IconChat, IconGroup, IconSettings } from "./Icons";
import { Dialog } from "./Dialog";
import { NewChatDialog, NewGroupDialog } from "./NewDialogs";
import { LangSwitch, ThemeSwitch } from "./Settings";
import type { Theme } from "../App";

export function Main({ session, network, theme, setTheme, onSignOut }: {
  session: Session; network: number; theme: Theme; setTheme: (t: Theme) => void; onSignOut: () => void;
}) {
  const { t } = useI18n();
  const [convs, dispatch] = useReducer(convsReducer, []);
  const [openKey, setOpenKey] = useState<string | null>(null);
  const [pendingConv, setPendingConv] = useState<ConvInfo | null>(null);
  const [dialog, setDialog] = useState<"chat" | "group" | "settings" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [groupNames, setGroupNames] = useState<Record<string, string>>({});

  const loadGroups = useCallback(async () => {
    try {
      const gs = await shell.groupJoinedList();
      setGroupNames(Object.fromEntries(gs.map((g) => [g.group_base_info_group_id, g.group_base_info_group_name])));
    } catch {
      /* names fall back to ids */
    }
  }, []);

  const reload = useCallback(async () => {
    try {
      dispatch({ type: "load", convs: await shell.convList() });
    } catch (e) {
      setError(isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e));
    }
  }, [t]);
  useEffect(() => {
    void reload();
    void loadGroups();
  }, [reload, loadGroups]);
  // A group conversation we have no name for yet (joined elsewhere, or just created).
  useEffect(() => {
    if (convs.some((c) => c.conv_type === 2 && !(c.conv_id in groupNames))) void loadGroups();
  }, [convs.length]); // eslint-disable-line react-hooks/exhaustive-deps

  useCoreEvents((e) => {
    if (e.event === "TIMConvEventCallback") {
      const ev = e as { conv_event: number; json: ConvInfo[] | "" };
      if (Array.isArray(ev.json)) dispatch({ type: "event", convEvent: ev.conv_event, convs: ev.json });
    } else if (e.event === "TIMNetworkStatusListenerCallback" && (e as { status: number }).status === NetworkStatus.Connected) {
      void reload();
    }
  });

  const open = convs.find((c) => convKey(c) === openKey) ?? (pendingConv && convKey(pendingConv) === openKey ? pendingConv : null);

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
          <Avatar id={session.user_id} name={session.user_id} size={32} />
          <span className="me" data-testid="me">{session.user_id}</span>
          <button type="button" className="icon" title={t("newChat")} aria-label={t("newChat")} onClick={() => setDialog("chat")} data-testid="new-chat"><IconChat /></button>
          <button type="button" className="icon" title={t("newGroup")} aria-label={t("newGroup")} onClick={() => setDialog("group")} data-testid="new-group"><IconGroup /></button>
          <button type="button" className="icon" title={t("settings")} aria-label={t("settings")} onClick={() => setDialog("settings")} data-testid="settings"><IconSettings /></button>
        </header>
        {banner && <div className="banner" role="status" data-testid="net-banner">{banner}</div>}
        {error && <div className="banner error" role="alert">{error}</div>}
        <ConvList convs={convs} groupNames={groupNames} openKey={openKey} onOpen={(c) => setOpenKey(convKey(c))} />
      </aside>
      <section className="chat-pane">
        {open ? (
          <Chat
            key={convKey(open)}
            conv={open}
            name={convName(open, groupNames)}
            me={session.user_id}
            onRead={() => dispatch({ type: "localRead", key: convKey(open) })}
          />
        ) : (
          <div className="empty-chat">{t("selectConversation")}</div>
        )}
      </section>
      {dialog === "chat" && <NewChatDialog onClose={() => setDialog(null)} onStart={(id) => openConv(id, 1)} />}
      {dialog === "group" && <NewGroupDialog onClose={() => setDialog(null)} onCreated={(gid, name) => {
        setGroupNames((g) => ({ ...g, [gid]: name }));
        void openConv(gid, 2);
      }} />}
      {dialog === "settings" && (
        <SettingsDialog theme={theme} setTheme={setTheme} onClose={() => setDialog(null)} onSignOut={onSignOut} />
      )}
    </div>
  );
}

function SettingsDialog({ theme, setTheme, onClose, onSignOut }: { theme: Theme; setTheme: (t: Theme) => void; onClose: () => void; onSignOut: () => void }) {
  const { t } = useI18n();
  return (
    <Dialog title={t("settings")} onClose={onClose}>
      <div className="settings">
        <LangSwitch />
        <ThemeSwitch theme={theme} setTheme={setTheme} />
      </div>
      <div className="dialog-actions">
        <button type="button" className="danger" onClick={onSignOut} data-testid="sign-out">{t("signOut")}</button>
        <button type="button" className="primary" onClick={onClose} autoFocus>{t("close")}</button>
      </div>
    </Dialog>
  );
}
