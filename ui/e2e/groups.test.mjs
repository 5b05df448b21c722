// Groups in the real window: create a Public group that needs permission, others (confab-cli)
// apply, the owner handles requests in the inbox, administers members from the group panel,
// and joins someone else's group by id.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Keys } from "./webdriver.mjs";
import { cleanup, shot, sleep, startServer, signedUpPeers, startSignedUp, openChat } from "./harness.mjs";

let url, bob, carol, dave, app, wd, gid;
const E = "element-6066-11e4-a52e-4f735466cecf";

before(async () => {
  url = await startServer();
  [bob, carol, dave] = await signedUpPeers(url, "bob", "carol", "dave");
  app = await startSignedUp(url, "alice", "Alice");
  wd = app.wd;
});

after(async () => {
  await app?.stop();
  cleanup();
});

/** Set a <select> the way a person's choice does (WebKitWebDriver cannot click options). */
async function choose(css, value) {
  const el = await wd.find(css);
  await wd.exec(
    "const s = arguments[0]; s.value = arguments[1]; s.dispatchEvent(new Event('change', { bubbles: true }));",
    { [E]: el.id }, String(value),
  );
}

/** A group report of `type` about `group` reaching a peer (system conversation). */
function report(peer, type, group, pred = () => true) {
  return peer.waitEvent((e) => e.event === "TIMRecvNewMsgCallback" && e.json.some((m) => m.message_elem_array.some((el) =>
    el.elem_type === 8 && el.group_report_elem_report_type === type && el.group_report_elem_group_id === group && pred(el))), 20000);
}

async function memberAction(user, action) {
  await (await wd.find(`[data-testid=member-menu-${user}]`)).click();
  await (await wd.find(`[data-testid=act-${action}]`)).click();
}

async function openInbox() {
  await (await wd.find("[data-testid=inbox-entry]")).click();
  await wd.find("[data-testid=inbox]");
}

test("create a Public group whose joining needs permission", async () => {
  await (await wd.find("[data-testid=new-group]")).click();
  await (await wd.find("input[name=groupName]")).type("Hikers");
  await choose("select[name=groupType]", 0);
  await choose("select[name=addOption]", 1);
  await shot(wd, "g01-create-public-group");
  await (await wd.find("[data-testid=create-group]")).click();
  await wd.find("[data-testid=chat-title]", { text: "Hikers" });
  await (await wd.find("[data-testid=group-info-button]")).click();
  gid = await (await wd.find("[data-testid=panel-group-id]")).text();
  assert.match(gid, /^@TGS#/);
  const owner = await wd.find("[data-testid=member-alice] [data-testid=role-badge]");
  assert.equal(await owner.text(), "Owner");
  // The owner: edits, mute all, dismiss; may not quit.
  for (const id of ["field-name-edit", "field-notification-edit", "mute-all", "add-option", "dismiss-group", "invite-button"]) {
    assert.equal(await wd.count(`[data-testid=${id}]`), 1, `the owner sees ${id}`);
  }
  assert.equal(await wd.count("[data-testid=quit-group]"), 0, "the owner of a Public group cannot quit");
  // Edit the notification through the panel.
  await (await wd.find("[data-testid=field-notification-edit]")).click();
  await (await wd.find("[data-testid=field-notification-input]")).type("Meet at 8 at the station");
  await (await wd.find("[data-testid=field-notification-save]")).click();
  await wd.find("[data-testid=field-notification-value]", { text: "Meet at 8 at the station" });
  await wd.find("[data-testid=center-line]", { text: "Alice changed the group notification: Meet at 8 at the station" });
  await shot(wd, "g02-group-panel-owner");
  await (await wd.find("[data-testid=panel-close]")).click();
});

test("bob applies with a hello; the inbox badge shows 1; approve; the tip shows bob joined", async () => {
  await bob.call("TIMGroupJoin", { group_id: gid, hello_msg: "Hi, I'm Bob, can I come along?" });
  const badge = await wd.find("[data-testid=inbox-badge]", { timeout: 20000 });
  assert.equal(await badge.text(), "1");
  await shot(wd, "g03-inbox-badge");
  await openInbox();
  const row = await wd.find("[data-testid=pendency-bob]", { text: "Hi, I'm Bob, can I come along?" });
  assert.match(await row.text(), /wants to join Hikers/);
  await (await wd.find("[data-testid=pendency-bob] [data-testid=pendency-check]")).click();
  await wd.find("[data-testid=inbox-selected]", { text: "1 selected" });
  await shot(wd, "g04-inbox-selected");
  await (await wd.find("[data-testid=inbox-approve]")).click();
  await wd.find("[data-testid=pendency-bob] [data-testid=pendency-status]", { text: "Approved" });
  await wd.until("the badge to clear", async () => (await wd.count("[data-testid=inbox-badge]")) === 0);
  await report(bob, 2, gid);
  // The group chat shows the join as a centred line, and bob can talk.
  await openChat(wd, `[data-testid='conv-${gid}']`, "Hikers");
  await wd.find("[data-testid=center-line]", { text: "bob joined the group" });
  await bob.sendText(gid, "Thanks! I'll bring snacks", 2);
  await wd.find("[data-testid=bubble]", { text: "Thanks! I'll bring snacks" });
  await shot(wd, "g05-bob-joined");
});

test("set bob admin, mute and unmute him, then remove him", async () => {
  await (await wd.find("[data-testid=group-info-button]")).click();
  await wd.find("[data-testid=member-bob]");
  await (await wd.find("[data-testid=member-menu-bob]")).click();
  // The owner on a normal member: every member action.
  for (const a of ["setAdmin", "mute", "transferTo", "kick"]) assert.equal(await wd.count(`[data-testid=act-${a}]`), 1, a);
  assert.equal(await wd.count("[data-testid=act-cancelAdmin]"), 0);
  await (await wd.find("[data-testid=act-setAdmin]")).click();
  await wd.find("[data-testid=member-bob] [data-testid=role-badge]", { text: "Admin" });
  await wd.find("[data-testid=center-line]", { text: "Alice made bob an admin" });
  await report(bob, 9, gid);

  await memberAction("bob", "mute");
  await wd.find("[data-testid=mute-dialog]");
  await shot(wd, "g06-mute-dialog");
  await (await wd.find("[data-testid=mute-confirm]")).click();
  await wd.find("[data-testid=member-bob] [data-testid=muted-mark]");
  await wd.find("[data-testid=center-line]", { text: "Alice muted bob for 10 min" });
  await assert.rejects(bob.sendText(gid, "can I still talk?", 2), /10017|code/, "a muted member cannot send");
  await shot(wd, "g07-bob-admin-muted");

  await memberAction("bob", "unmute");
  await wd.until("the mute mark to go", async () => (await wd.count("[data-testid=member-bob] [data-testid=muted-mark]")) === 0);
  await wd.find("[data-testid=center-line]", { text: "Alice unmuted bob" });
  await bob.sendText(gid, "I can talk again", 2);
  await wd.find("[data-testid=bubble]", { text: "I can talk again" });

  await memberAction("bob", "kick");
  await (await wd.find("[data-testid=confirm-ok]")).click();
  await wd.until("bob to leave the list", async () => (await wd.count("[data-testid=member-bob]")) === 0);
  await wd.find("[data-testid=center-line]", { text: "Alice removed bob from the group" });
  await report(bob, 4, gid);
  await shot(wd, "g08-bob-removed");
  await (await wd.find("[data-testid=panel-close]")).click();
});

test("several requests: mark read, refuse one with a reason, approve two at once", async () => {
  await carol.call("TIMGroupJoin", { group_id: gid, hello_msg: "carol here" });
  await bob.call("TIMGroupJoin", { group_id: gid, hello_msg: "sorry, may I come back?" });
  await dave.call("TIMGroupJoin", { group_id: gid, hello_msg: "dave wants in" });
  await wd.find("[data-testid=inbox-badge]", { text: "3", timeout: 20000 });
  await openInbox();
  await wd.find("[data-testid=pendency-dave]");
  await (await wd.find("[data-testid=inbox-mark-read]")).click();
  await wd.until("mark read to clear the badge", async () => (await wd.count("[data-testid=inbox-badge]")) === 0);

  await (await wd.find("[data-testid=pendency-carol] [data-testid=pendency-check]")).click();
  await (await wd.find("[data-testid=inbox-reason]")).type("The car is full, sorry");
  await (await wd.find("[data-testid=inbox-refuse]")).click();
  await wd.find("[data-testid=pendency-carol] [data-testid=pendency-status]", { text: "Refused · The car is full, sorry" });
  const told = await report(carol, 3, gid);
  const el = told.json.flatMap((m) => m.message_elem_array).find((x) => x.elem_type === 8 && x.group_report_elem_report_type === 3);
  assert.equal(el.group_report_elem_msg, "The car is full, sorry", "carol is told the reason");

  await (await wd.find("[data-testid=inbox-select-all]")).click();
  await wd.find("[data-testid=inbox-selected]", { text: "2 selected" });
  await shot(wd, "g09-inbox-several");
  await (await wd.find("[data-testid=inbox-approve]")).click();
  await wd.find("[data-testid=pendency-bob] [data-testid=pendency-status]", { text: "Approved" });
  await wd.find("[data-testid=pendency-dave] [data-testid=pendency-status]", { text: "Approved" });
  await Promise.all([report(bob, 2, gid), report(dave, 2, gid)]);
  await shot(wd, "g10-inbox-handled");
  await openChat(wd, `[data-testid='conv-${gid}']`, "Hikers");
  await wd.find("[data-testid=center-line]", { text: "dave joined the group" });
  await dave.sendText(gid, "Hello everyone", 2);
  await wd.find("[data-testid=bubble]", { text: "Hello everyone" });
  // Mute everyone from the panel: members cannot talk until it is lifted.
  await (await wd.find("[data-testid=group-info-button]")).click();
  await (await wd.find("[data-testid=mute-all]")).click();
  await wd.find("[data-testid=center-line]", { text: "Alice muted everyone" });
  await assert.rejects(dave.sendText(gid, "hello?", 2), /code/, "nobody below admin talks while everyone is muted");
  await shot(wd, "g10b-mute-all");
  await (await wd.find("[data-testid=mute-all]")).click();
  await wd.find("[data-testid=center-line]", { text: "Alice unmuted everyone" });
  await dave.sendText(gid, "Back again", 2);
  await wd.find("[data-testid=bubble]", { text: "Back again" });
  // Invite carol: in a Public group the invitee decides, so she gets an invitation.
  await (await wd.find("[data-testid=invite-button]")).click();
  await (await wd.find("input[name=inviteIds]")).type("carol");
  await (await wd.find("[data-testid=invite-submit]")).click();
  await wd.find("[data-testid=invite-outcome]", { text: "Invited: 1" });
  await report(carol, 12, gid);
  await shot(wd, "g10c-invite");
  await (await wd.find("[data-testid=invite-dialog] .secondary")).click();
  await (await wd.find("[data-testid=panel-close]")).click();
});

test("join bob's group by id from the window; a normal member sees only what it may do", async () => {
  const created = await bob.call("TIMGroupCreate", {
    json_group_create_param: {
      create_group_param_group_name: "Bob's club", create_group_param_group_type: 0, create_group_param_add_option: 1,
      create_group_param_group_member_array: [{ group_member_info_identifier: "carol" }],
    },
  });
  const club = created.create_group_result_groupid;
  await (await wd.find("[data-testid=join-group]")).click();
  await (await wd.find("input[name=joinGroupId]")).type(club);
  await (await wd.find("input[name=helloMsg]")).type("Alice from the hikers");
  await (await wd.find("[data-testid=join-submit]")).click();
  await wd.find("[data-testid=join-pending]");
  await shot(wd, "g11-join-pending");
  await (await wd.find("[data-testid=join-dialog] .secondary")).click();
  // bob approves from the CLI; the window is told in its group notifications.
  await report(bob, 1, club, (el) => el.group_report_elem_msg === "Alice from the hikers");
  const list = await bob.call("TIMGroupGetPendencyList", { json_group_getpendence_list_param: {} });
  const p = list.group_pendency_result_pendency_array.find((x) => x.group_pendency_group_id === club);
  await bob.call("TIMGroupHandlePendency", { json_group_handle_pendency_param: { group_handle_pendency_param_is_accept: true, group_handle_pendency_param_pendency: p } });
  // The list re-sorts as the new group and the report arrive: wait for both before clicking.
  await wd.find(`[data-testid='conv-${club}']`, { timeout: 20000 });
  await wd.find("[data-testid='conv-']", { text: "bob approved your request", timeout: 20000 });
  await openChat(wd, "[data-testid='conv-']", "Group notifications");
  await wd.find("[data-testid=center-line]", { text: "bob approved your request to join Bob's club" });
  assert.equal(await wd.count("[data-testid=composer]"), 0, "no composer in the notifications");
  await shot(wd, "g12-system-notifications");

  await openChat(wd, `[data-testid='conv-${club}']`, "Bob's club");
  await (await wd.find("[data-testid=group-info-button]")).click();
  await wd.find("[data-testid=member-bob] [data-testid=role-badge]", { text: "Owner" });
  await wd.find("[data-testid=member-alice]");
  for (const id of ["quit-group", "invite-button", "recv-opt"]) assert.equal(await wd.count(`[data-testid=${id}]`), 1, `a member sees ${id}`);
  for (const id of ["dismiss-group", "mute-all", "field-name-edit", "member-menu-bob", "member-menu-carol"]) {
    assert.equal(await wd.count(`[data-testid=${id}]`), 0, `a member does not see ${id}`);
  }
  // The receive option sticks.
  await choose("[data-testid=recv-opt]", 2);
  await wd.until("the option to stick", async () => (await (await wd.find("[data-testid=recv-opt]")).prop("value")) === "2");
  await shot(wd, "g13-member-panel");
  // Made an admin by bob: the panel follows (tips event) and offers what an admin may do.
  await bob.call("TIMGroupModifyMemberInfo", { json_group_modifymeminfo_param: {
    group_modify_member_info_group_id: club, group_modify_member_info_identifier: "alice",
    group_modify_member_info_modify_flag: 2, group_modify_member_info_member_role: 300,
  } });
  await wd.find("[data-testid=member-alice] [data-testid=role-badge]", { text: "Admin", timeout: 20000 });
  await wd.find("[data-testid=mute-all]");
  // By keyboard: Enter opens the menu with focus on its first item; Escape closes it.
  await (await wd.find("[data-testid=member-menu-carol]")).type(Keys.Enter);
  await wd.until("focus in the menu", async () => (await wd.exec("return document.activeElement?.dataset.testid")) === "act-mute");
  for (const a of ["mute", "kick"]) assert.equal(await wd.count(`[data-testid=act-${a}]`), 1, `an admin may ${a} a member`);
  for (const a of ["setAdmin", "cancelAdmin", "transferTo"]) assert.equal(await wd.count(`[data-testid=act-${a}]`), 0, `an admin may not ${a}`);
  await shot(wd, "g13b-admin-panel");
  await wd.exec("document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))");
  await wd.until("the menu to close", async () => (await wd.count("[data-testid=member-menu]")) === 0);
  assert.equal(await wd.exec("return document.activeElement?.dataset.testid"), "member-menu-carol", "focus returns to the button");
  for (const id of ["member-menu-bob", "dismiss-group"]) assert.equal(await wd.count(`[data-testid=${id}]`), 0, `an admin does not see ${id}`);
  assert.equal(await wd.count("[data-testid=field-name-edit]"), 1, "an admin edits the profile of a Public group");
  // Leave the group: confirm, and its conversation goes.
  await (await wd.find("[data-testid=quit-group]")).click();
  await (await wd.find("[data-testid=confirm-ok]")).click();
  await wd.until("the group to close", async () => (await wd.count("[data-testid=group-panel]")) === 0);
  await wd.until("the conversation to go", async () => (await wd.count(`[data-testid='conv-${club}']`)) === 0, 20000);
  await bob.waitEvent((e) => e.event === "TIMGroupTipsEventCallback" && e.json.group_tips_elem_tip_type === 2 && e.json.group_tips_elem_group_id === club);
});

test("tips in Chinese", async () => {
  await (await wd.find("[data-testid=settings]")).click();
  await choose("[data-testid=lang-select]", "zh");
  await (await wd.find(".dialog .primary")).click();
  await openChat(wd, `[data-testid='conv-${gid}']`, "Hikers");
  await wd.find("[data-testid=center-line]", { text: "dave 加入了群聊" });
  await wd.find("[data-testid=center-line]", { text: "bob 被 Alice 移出了群聊" });
  await wd.find("[data-testid=inbox-entry]", { text: "入群申请" });
  await sleep(200);
  await shot(wd, "g14-tips-zh");
});
