// Who may do what in a group: the server's rules (crates/server/src/groups.rs), mirrored so the
// panel only offers what the server would accept. The server still decides; a refusal shows its
// TIM error.
import { GroupType } from "../tim/types";
import { MemberRole } from "../tim/group";

export interface GroupActions {
  /** Name, notification, introduction, avatar. */
  editProfile: boolean;
  /** Mute all, add option. */
  editAdminSettings: boolean;
  invite: boolean;
  quit: boolean;
  dismiss: boolean;
  transferOwner: boolean;
  /** Handle join requests (the inbox). */
  handleRequests: boolean;
}

export interface MemberActions {
  kick: boolean;
  setAdmin: boolean;
  cancelAdmin: boolean;
  mute: boolean;
  transferTo: boolean;
}

const isAV = (t: number) => t === GroupType.AVChatRoom || t === GroupType.BChatRoom;

/** What `myRole` (TIMGroupMemberRole) may do to the group itself. Not a member: nothing. */
export function groupActions(groupType: number, myRole: number): GroupActions {
  const member = myRole >= MemberRole.Normal;
  const admin = myRole >= MemberRole.Admin;
  const owner = myRole === MemberRole.Owner;
  const privateGroup = groupType === GroupType.Private;
  return {
    editProfile: privateGroup ? member : admin,
    editAdminSettings: admin,
    invite: member && !isAV(groupType),
    quit: member && (privateGroup || !owner),
    dismiss: owner && !privateGroup,
    transferOwner: owner && !isAV(groupType),
    handleRequests: admin && groupType === GroupType.Public,
  };
}

/** What `myRole` may do to one member (`targetRole`); nothing to oneself. */
export function memberActions(groupType: number, myRole: number, targetRole: number, self: boolean): MemberActions {
  const none = { kick: false, setAdmin: false, cancelAdmin: false, mute: false, transferTo: false };
  if (self || myRole < MemberRole.Normal || targetRole < MemberRole.Normal) return none;
  const owner = myRole === MemberRole.Owner;
  const above = myRole >= MemberRole.Admin && targetRole < myRole;
  const av = isAV(groupType);
  const roles = owner && !av && targetRole !== MemberRole.Owner;
  return {
    kick: !av && (groupType === GroupType.Private ? owner : above),
    setAdmin: roles && targetRole === MemberRole.Normal,
    cancelAdmin: roles && targetRole === MemberRole.Admin,
    mute: above,
    transferTo: owner && !av,
  };
}

/** The badge shown next to a member: owner, admin, or none. */
export function roleBadge(role: number): "owner" | "admin" | null {
  return role === MemberRole.Owner ? "owner" : role === MemberRole.Admin ? "admin" : null;
}
