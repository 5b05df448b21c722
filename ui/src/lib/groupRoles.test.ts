import { describe, expect, it } from "vitest";
import { groupActions, memberActions, roleBadge } from "./groupRoles";
import { GroupType } from "../tim/types";
import { MemberRole } from "../tim/group";

const { Public, Private, ChatRoom, AVChatRoom } = GroupType;
const { None, Normal, Admin, Owner } = MemberRole;

describe("groupActions mirrors the server's table", () => {
  it("Public: owner and admins edit; the owner dismisses and transfers but may not quit", () => {
    expect(groupActions(Public, Owner)).toEqual({
      editProfile: true, editAdminSettings: true, invite: true, quit: false, dismiss: true, transferOwner: true, handleRequests: true,
    });
    expect(groupActions(Public, Admin)).toEqual({
      editProfile: true, editAdminSettings: true, invite: true, quit: true, dismiss: false, transferOwner: false, handleRequests: true,
    });
    expect(groupActions(Public, Normal)).toEqual({
      editProfile: false, editAdminSettings: false, invite: true, quit: true, dismiss: false, transferOwner: false, handleRequests: false,
    });
  });
  it("Private (Work): any member edits the profile; nobody dismisses; the owner may quit", () => {
    expect(groupActions(Private, Normal)).toMatchObject({ editProfile: true, editAdminSettings: false, invite: true, quit: true, dismiss: false });
    expect(groupActions(Private, Owner)).toMatchObject({ quit: true, dismiss: false, transferOwner: true, handleRequests: false });
  });
  it("AVChatRoom: no invites, no transfer", () => {
    expect(groupActions(AVChatRoom, Owner)).toMatchObject({ invite: false, transferOwner: false, dismiss: true, quit: false });
  });
  it("ChatRoom behaves as Public for editing", () => {
    expect(groupActions(ChatRoom, Normal).editProfile).toBe(false);
    expect(groupActions(ChatRoom, Admin).editProfile).toBe(true);
  });
  it("a non-member may do nothing", () => {
    expect(Object.values(groupActions(Public, None)).some(Boolean)).toBe(false);
  });
});

describe("memberActions", () => {
  it("the owner acts on everyone below; admins only on normal members", () => {
    expect(memberActions(Public, Owner, Normal, false)).toEqual({ kick: true, setAdmin: true, cancelAdmin: false, mute: true, transferTo: true });
    expect(memberActions(Public, Owner, Admin, false)).toEqual({ kick: true, setAdmin: false, cancelAdmin: true, mute: true, transferTo: true });
    expect(memberActions(Public, Admin, Normal, false)).toEqual({ kick: true, setAdmin: false, cancelAdmin: false, mute: true, transferTo: false });
    expect(memberActions(Public, Admin, Admin, false)).toEqual({ kick: false, setAdmin: false, cancelAdmin: false, mute: false, transferTo: false });
    expect(memberActions(Public, Admin, Owner, false).kick).toBe(false);
    expect(memberActions(Public, Normal, Normal, false)).toEqual({ kick: false, setAdmin: false, cancelAdmin: false, mute: false, transferTo: false });
  });
  it("nothing on oneself", () => {
    expect(Object.values(memberActions(Public, Owner, Owner, true)).some(Boolean)).toBe(false);
  });
  it("Private: only the owner kicks; admins still mute below them", () => {
    expect(memberActions(Private, Admin, Normal, false)).toMatchObject({ kick: false, mute: true });
    expect(memberActions(Private, Owner, Normal, false)).toMatchObject({ kick: true, setAdmin: true });
  });
  it("AVChatRoom: no kicks, no roles, mutes allowed", () => {
    expect(memberActions(AVChatRoom, Owner, Normal, false)).toEqual({ kick: false, setAdmin: false, cancelAdmin: false, mute: true, transferTo: false });
  });
  it("badges", () => {
    expect(roleBadge(Owner)).toBe("owner");
    expect(roleBadge(Admin)).toBe("admin");
    expect(roleBadge(Normal)).toBeNull();
  });
});
