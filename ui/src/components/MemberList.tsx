import { useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from "react";
import { useI18n } from "../i18n";
import { memberActions, roleBadge, type MemberActions } from "../lib/groupRoles";
import { hm } from "../lib/time";
import type { GroupMemberInfo } from "../tim/group";
import { Avatar } from "./Avatar";

export type MemberAction = keyof MemberActions | "unmute";

export const memberName = (m: GroupMemberInfo) =>
  m.group_member_info_name_card || m.group_member_info_nick_name || m.group_member_info_identifier;

/** Members with role badges, a muted mark, and a per-member actions menu holding what the
 *  viewer's role allows. */
export function MemberList({ members, groupType, myRole, me, hasMore, onMore, onAction }: {
  members: GroupMemberInfo[]; groupType: number; myRole: number; me: string; hasMore: boolean;
  onMore: () => void; onAction: (a: MemberAction, m: GroupMemberInfo) => void;
}) {
  const { t } = useI18n();
  const [menu, setMenu] = useState<string | null>(null);
  const now = Date.now() / 1000;
  return (
    <>
      <ul className="member-list" data-testid="member-list">
        {members.map((m) => {
          const id = m.group_member_info_identifier;
          const name = memberName(m);
          const badge = roleBadge(m.group_member_info_member_role);
          const mutedUntil = (m.group_member_info_shutup_time ?? 0) > now ? m.group_member_info_shutup_time! : 0;
          const acts = memberActions(groupType, myRole, m.group_member_info_member_role, id === me);
          const items: [MemberAction, string][] = [];
          if (acts.setAdmin) items.push(["setAdmin", t("setAdmin")]);
          if (acts.cancelAdmin) items.push(["cancelAdmin", t("cancelAdmin")]);
          if (acts.mute) items.push(mutedUntil ? ["unmute", t("unmute")] : ["mute", t("mute")]);
          if (acts.transferTo) items.push(["transferTo", t("transferOwner")]);
          if (acts.kick) items.push(["kick", t("kick")]);
          return (
            <li key={id} className="member" data-testid={`member-${id}`} data-role={m.group_member_info_member_role}>
              <Avatar id={id} name={name} size={28} url={m.group_member_info_face_url} />
              <span className="member-name">{name}{id === me ? ` (${t("you")})` : ""}</span>
              {badge && <span className={`role-badge ${badge}`} data-testid="role-badge">{badge === "owner" ? t("roleOwner") : t("roleAdmin")}</span>}
              {mutedUntil > 0 && (
                <span className="muted-mark" title={t("mutedUntil", { time: hm(new Date(mutedUntil * 1000)) })} data-testid="muted-mark">🔇</span>
              )}
              {items.length > 0 && (
                <span className="member-menu-wrap">
                  <button
                    type="button"
                    className="icon"
                    aria-haspopup="menu"
                    aria-expanded={menu === id}
                    aria-label={t("memberActions", { name })}
                    title={t("memberActions", { name })}
                    onClick={() => setMenu(menu === id ? null : id)}
                    data-testid={`member-menu-${id}`}
                  >
                    ⋯
                  </button>
                  {menu === id && (
                    <MemberMenu items={items} onClose={() => setMenu(null)} onPick={(a) => { setMenu(null); onAction(a, m); }} />
                  )}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {hasMore && <button type="button" className="secondary load-more" onClick={onMore}>{t("loadMore")}</button>}
    </>
  );
}

function MemberMenu({ items, onPick, onClose }: { items: [MemberAction, string][]; onPick: (a: MemberAction) => void; onClose: () => void }) {
  const ref = useRef<HTMLUListElement>(null);
  useEffect(() => ref.current?.querySelector("button")?.focus(), []);
  useEffect(() => {
    // Outside the menu and its own toggle button (which closes it by itself).
    const onClick = (e: MouseEvent) => !ref.current?.parentElement?.contains(e.target as Node) && onClose();
    window.addEventListener("mousedown", onClick);
    return () => {
      window.removeEventListener("mousedown", onClick);
    };
  }, [onClose]);
  const move = (e: ReactKeyboardEvent) => {
    if (e.key === "Escape") {
      // Close the menu only (not the panel around it); focus goes back to its button.
      e.stopPropagation();
      ref.current?.parentElement?.querySelector<HTMLButtonElement>("button")?.focus();
      onClose();
      return;
    }
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    e.preventDefault();
    const bs = [...(ref.current?.querySelectorAll("button") ?? [])];
    const i = bs.indexOf(document.activeElement as HTMLButtonElement);
    bs[(i + (e.key === "ArrowDown" ? 1 : bs.length - 1)) % bs.length]?.focus();
  };
  return (
    <ul className="context-menu member-menu" role="menu" ref={ref} onKeyDown={move} data-testid="member-menu">
      {items.map(([a, label]) => (
        <li role="none" key={a}>
          <button type="button" role="menuitem" className={a === "kick" ? "danger-text" : ""} onClick={() => onPick(a)} data-testid={`act-${a}`}>
            {label}
          </button>
        </li>
      ))}
    </ul>
  );
}
