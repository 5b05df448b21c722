// What a person sees at the edges of a chat, in the real window: the composer closed while
// muted (mute-all, own mute that lifts by itself, admins exempt), a group that ends while its
// chat is open (removed, dismissed), avatars drawn from face URLs (a local HTTP server serves
// the picture; a broken URL falls back to initials), forwarding to an id with no conversation
// yet, and a recall refused by the server's window (here 3 s). Others are played by confab-cli.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { deflateSync } from "node:zlib";
import { Keys } from "./webdriver.mjs";
import { cleanup, shot, sleep, startServer, signedUpPeers, startSignedUp, menuOn, openChat, pngChunk } from "./harness.mjs";

let url, bob, dave, app, wd, img, imgBase;

/** A small opaque PNG (a 2-colour 16×16 picture), made by hand. */
function png() {
  const w = 16;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(w, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < w; y++) {
    const row = [0];
    for (let x = 0; x < w; x++) row.push(...(x < w / 2 ? [230, 120, 20] : [20, 90, 200]));
    rows.push(Buffer.from(row));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

before(async () => {
  // The server's recall window, short enough to pass during the test.
  process.env.CONFAB_REVOKE_WINDOW = "3";
  url = await startServer();
  delete process.env.CONFAB_REVOKE_WINDOW;
  const picture = png();
  img = createServer((req, res) => {
    if (req.url === "/avatar.png") {
      res.writeHead(200, { "content-type": "image/png", "content-length": picture.length });
      res.end(picture);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => img.listen(0, "127.0.0.1", ok));
  imgBase = `http://127.0.0.1:${img.address().port}`;
  [bob, dave] = await signedUpPeers(url, "bob", "dave");
  app = await startSignedUp(url, "alice", "Alice");
  wd = app.wd;
});

after(async () => {
  await app?.stop();
  img?.close();
  cleanup();
});

/** bob's group with alice in it; resolves to its id once alice's list shows it. */
async function bobsGroup(name, extra = {}) {
  const r = await bob.call("TIMGroupCreate", {
    json_group_create_param: {
      ...extra,
      create_group_param_group_name: name, create_group_param_group_type: 0, create_group_param_add_option: 2,
      create_group_param_group_member_array: [{ group_member_info_identifier: "alice" }],
    },
  });
  const id = r.create_group_result_groupid;
  await bob.sendText(id, `welcome to ${name}`, 2);
  await wd.find(`[data-testid='conv-${id}']`, { timeout: 20000 });
  return id;
}

const modifyGroup = (id, flag, values) =>
  bob.call("TIMGroupModifyGroupInfo", { json_group_modifyinfo_param: { group_modify_info_param_group_id: id, group_modify_info_param_modify_flag: flag, ...values } });
const modifyMember = (id, user, flag, values) =>
  bob.call("TIMGroupModifyMemberInfo", { json_group_modifymeminfo_param: {
    group_modify_member_info_group_id: id, group_modify_member_info_identifier: user, group_modify_member_info_modify_flag: flag, ...values,
  } });

const blockedText = async () => ((await wd.count("[data-testid=composer-blocked]")) ? (await (await wd.find("[data-testid=composer-blocked]")).text()) : null);

test("muted: the composer says so, admins are exempt from mute-all, an own mute lifts by itself", async () => {
  const gid = await bobsGroup("Quiet room");
  await openChat(wd, `[data-testid='conv-${gid}']`, "Quiet room");
  await wd.find("[data-testid=composer]");
  assert.equal(await blockedText(), null, "a member may write");

  await modifyGroup(gid, 0x100, { group_modify_info_param_is_shutup_all: true });
  await wd.find("[data-testid=composer-blocked]", { text: "All members are muted", timeout: 20000 });
  assert.equal(await wd.exec("return document.querySelector('[data-testid=send]').disabled"), true);
  assert.equal(await wd.exec("return document.querySelector('[data-testid=pick-image]').disabled"), true);
  await shot(wd, "gap01-mute-all");

  // Made an admin: mute-all no longer applies to alice; back to a member: it does again.
  await modifyMember(gid, "alice", 0x2, { group_modify_member_info_member_role: 300 });
  await wd.until("the composer to open for an admin", async () => (await blockedText()) === null, 20000);
  const composer = await wd.find("[data-testid=composer]");
  await composer.type("admins may talk");
  await composer.type(Keys.Enter);
  await bob.waitText("admins may talk");
  await modifyMember(gid, "alice", 0x2, { group_modify_member_info_member_role: 200 });
  await wd.find("[data-testid=composer-blocked]", { text: "All members are muted", timeout: 20000 });

  // Lifted by the owner: open again, live.
  await modifyGroup(gid, 0x100, { group_modify_info_param_is_shutup_all: false });
  await wd.until("the composer to open", async () => (await blockedText()) === null, 20000);

  // Muted herself for a few seconds: "until <time>", then open again without any event.
  await modifyMember(gid, "alice", 0x4, { group_modify_member_info_shutup_time: 4 });
  const line = await wd.find("[data-testid=composer-blocked]", { text: "You are muted until", timeout: 20000 });
  assert.match(await line.text(), /You are muted until \d{1,2}:\d{2}/);
  await shot(wd, "gap02-muted-until");
  await wd.until("the mute to lift by itself", async () => (await blockedText()) === null, 15000);
  await (await wd.find("[data-testid=composer]")).type("free again");
  await (await wd.find("[data-testid=composer]")).type(Keys.Enter);
  await bob.waitText("free again");
});

test("removed from a group while its chat is open: a clear line, no composer, closes gracefully", async () => {
  const gid = await bobsGroup("Leaving soon");
  await openChat(wd, `[data-testid='conv-${gid}']`, "Leaving soon");
  await (await wd.find("[data-testid=group-info-button]")).click();
  await wd.find("[data-testid=group-panel]");
  await bob.call("TIMGroupDeleteMember", { json_group_delete_param: { group_delete_member_param_group_id: gid, group_delete_member_param_identifier_array: ["alice"] } });
  await wd.find("[data-testid=chat-ended]", { text: "You were removed from the group", timeout: 20000 });
  assert.equal(await wd.count("[data-testid=composer]"), 0, "no composer");
  assert.equal(await wd.count("[data-testid=group-panel]"), 0, "the panel closed");
  assert.equal(await wd.count("[data-testid=group-info-button]"), 0, "no info button");
  // The SDK ends the conversation: it leaves the list, the open chat stays until closed.
  await wd.until("the conversation to leave the list", async () => (await wd.count(`[data-testid='conv-${gid}']`)) === 0, 20000);
  await wd.find("[data-testid=chat-title]", { text: "Leaving soon" });
  await wd.find("[data-testid=bubble]", { text: "welcome to Leaving soon" });
  assert.equal(await wd.count(".banner.error"), 0, "no error");
  await shot(wd, "gap03-removed");
  await (await wd.find("[data-testid=chat-ended-close]")).click();
  await wd.until("the chat to close", async () => (await wd.count("[data-testid=chat]")) === 0);
});

test("a group dismissed while its chat is open says so", async () => {
  const gid = await bobsGroup("Short lived");
  await openChat(wd, `[data-testid='conv-${gid}']`, "Short lived");
  await bob.call("TIMGroupDelete", { group_id: gid });
  await wd.find("[data-testid=chat-ended]", { text: "The group was dismissed", timeout: 20000 });
  assert.equal(await wd.count("[data-testid=composer]"), 0, "no composer");
  await wd.until("the conversation to leave the list", async () => (await wd.count(`[data-testid='conv-${gid}']`)) === 0, 20000);
  assert.equal(await wd.count(".banner.error"), 0, "no error");
  await shot(wd, "gap04-dismissed");
  await (await wd.find("[data-testid=chat-ended-close]")).click();
  await wd.until("the chat to close", async () => (await wd.count("[data-testid=chat]")) === 0);
});

const avatarState = (css) =>
  wd.exec(`const a = document.querySelector(arguments[0]);
    if (!a) return null;
    const i = a.querySelector('img');
    return { kind: a.dataset.avatar, loaded: !!i && i.complete && i.naturalWidth > 0, text: a.textContent };`, css);

test("avatars: a group's face URL is drawn as its picture, a broken one falls back to initials", async () => {
  // alice's own group: she sets its avatar from the panel.
  await (await wd.find("[data-testid=new-group]")).click();
  await (await wd.find("input[name=groupName]")).type("Pictures");
  await (await wd.find("[data-testid=create-group]")).click();
  await wd.find("[data-testid=chat-title]", { text: "Pictures" });
  await (await wd.find("[data-testid=group-info-button]")).click();
  const gid = await (await wd.find("[data-testid=panel-group-id]")).text();
  assert.equal((await avatarState(".panel-id .avatar")).kind, "initials");
  await (await wd.find("[data-testid=field-face-edit]")).click();
  await (await wd.find("[data-testid=field-face-input]")).type(`${imgBase}/avatar.png`);
  await (await wd.find("[data-testid=field-face-save]")).click();
  for (const [what, css] of [["panel", ".panel-id .avatar"], ["chat header", ".chat-head .avatar"], ["conversation list", `[data-testid='conv-${gid}'] .avatar`]]) {
    await wd.until(`the ${what} avatar to show the picture`, async () => (await avatarState(css))?.loaded === true, 20000);
  }
  await shot(wd, "gap05-group-avatar");

  // A URL that does not load: initials again, everywhere.
  await (await wd.find("[data-testid=field-face-edit]")).click();
  const input = await wd.find("[data-testid=field-face-input]");
  await input.clear();
  await input.type(`${imgBase}/missing.png`);
  await (await wd.find("[data-testid=field-face-save]")).click();
  for (const [what, css] of [["panel", ".panel-id .avatar"], ["chat header", ".chat-head .avatar"], ["conversation list", `[data-testid='conv-${gid}'] .avatar`]]) {
    await wd.until(`the ${what} avatar to fall back to initials`, async () => {
      const s = await avatarState(css);
      return s?.kind === "initials" && s.text === "P";
    }, 20000);
  }
  await shot(wd, "gap06-avatar-fallback");
  await (await wd.find("[data-testid=panel-close]")).click();

  // A group whose avatar was set before alice was in it (no tip tells her conversation).
  const club = await bobsGroup("Framed", { create_group_param_face_url: `${imgBase}/avatar.png` });
  await wd.until("the joined group's list avatar to show the picture", async () => (await avatarState(`[data-testid='conv-${club}'] .avatar`))?.loaded === true, 20000);
  await openChat(wd, `[data-testid='conv-${club}']`, "Framed");
  await wd.until("its chat header avatar too", async () => (await avatarState(".chat-head .avatar"))?.loaded === true, 20000);

  // A person's face URL from the profile their messages carry.
  await bob.call("TIMProfileModifySelfUserProfile", { json_modify_self_user_profile_param: { user_profile_item_face_url: `${imgBase}/avatar.png`, user_profile_item_nick_name: "Bob" } });
  await bob.sendText("alice", "see my picture");
  await openChat(wd, "[data-testid=conv-bob]", "Bob");
  await wd.find("[data-testid=bubble]", { text: "see my picture" });
  await wd.until("bob's bubble avatar to show the picture", async () => (await avatarState("[data-testid=msg-row] .avatar"))?.loaded === true, 20000);
  await wd.until("bob's list avatar to show the picture", async () => (await avatarState("[data-testid=conv-bob] .avatar"))?.loaded === true, 20000);
  await shot(wd, "gap07-user-avatar");
});

test("my own profile from the settings: display name and avatar in the header, carried to bob", async () => {
  assert.equal((await avatarState(".sidebar-head .avatar")).kind, "initials");
  await (await wd.find("[data-testid=settings]")).click();
  const nick = await wd.find("[data-testid=profile-nick]");
  await wd.until("the signed-up display name in the field", async () => (await wd.exec("return document.querySelector('[data-testid=profile-nick]').value")) === "Alice");
  await nick.clear();
  await nick.type("Alice Liddell");
  await (await wd.find("[data-testid=profile-face]")).type(`${imgBase}/avatar.png`);
  await (await wd.find("[data-testid=profile-save]")).click();
  await wd.find("[data-testid=profile-saved]");
  await shot(wd, "gap07a-profile-settings");
  await (await wd.find(".dialog .primary")).click();
  await wd.until("my header avatar to show the picture", async () => (await avatarState(".sidebar-head .avatar"))?.loaded === true, 20000);
  // bob sees the new name and picture on my next message.
  await openChat(wd, "[data-testid=conv-bob]", "Bob");
  const composer = await wd.find("[data-testid=composer]");
  await composer.type("new look" + Keys.Enter);
  const got = await bob.waitText("new look");
  const m = got.json.find((x) => x.message_elem_array.some((e) => e.text_elem_content === "new look"));
  assert.equal(m.message_sender_profile?.user_profile_nick_name, "Alice Liddell");
  assert.equal(m.message_sender_profile?.user_profile_face_url, `${imgBase}/avatar.png`);
  // Kept by the server: anyone asking for my profile gets it.
  const r = await bob.call("TIMProfileGetUserProfileList", { json_get_user_profile_list_param: { friendship_getprofilelist_param_identifier_array: ["alice"] } });
  assert.equal(r.find((p) => p.user_profile_identifier === "alice")?.user_profile_nick_name, "Alice Liddell");
});

test("forward to an id with no conversation yet: an unknown user is refused clearly, dave gets it", async () => {
  assert.equal(await wd.count("[data-testid=conv-dave]"), 0, "no conversation with dave yet");
  await menuOn(wd, "see my picture");
  await (await wd.find("[data-testid=menu-forward]")).click();
  await wd.find("[data-testid=forward-dialog]");
  // The filter narrows the listed conversations.
  await (await wd.find("[data-testid=forward-filter]")).type("pict");
  await wd.until("only the matching conversation", async () =>
    (await wd.exec("return [...document.querySelectorAll('.forward-target .forward-name')].map((e) => e.textContent).join()")) === "Pictures");
  const id = await wd.find("[data-testid=forward-id]");
  await id.type("nobody-here");
  await (await wd.find("[data-testid=forward-id-send]")).click();
  await wd.find("[data-testid=forward-error]", { text: "There is no user “nobody-here”" });
  assert.equal(await wd.count("[data-testid=forward-dialog]"), 1, "the dialog stays open");
  // The failed send leaves no conversation behind for someone who does not exist.
  await wd.until("no conversation with nobody-here", async () => (await wd.count("[data-testid=conv-nobody-here]")) === 0);
  await sleep(500);
  assert.equal(await wd.count("[data-testid=conv-nobody-here]"), 0);
  await shot(wd, "gap08-forward-unknown");
  await id.clear();
  await id.type("dave");
  await (await wd.find("[data-testid=forward-id-send]")).click();
  const got = await dave.waitText("see my picture");
  const m = got.json.find((x) => x.message_elem_array.some((e) => e.text_elem_content === "see my picture"));
  assert.equal(m.message_sender, "alice");
  assert.equal(m.message_is_forward_message, true);
  await wd.until("the dialog to close", async () => (await wd.count("[data-testid=forward-dialog]")) === 0);
  await wd.find("[data-testid=chat-notice]", { text: "dave" });
  await wd.find("[data-testid=conv-dave]", { timeout: 20000 });
  await shot(wd, "gap09-forwarded-to-new");
});

test("recall follows the server's window: offered within it, refused in words past it, then no longer offered", async () => {
  await openChat(wd, "[data-testid=conv-bob]", "Bob");
  const composer = await wd.find("[data-testid=composer]");
  await composer.type("too late to take back");
  await composer.type(Keys.Enter);
  await bob.waitText("too late to take back");
  // Within the server's 3 s the menu offers it; the menu stays open past the window.
  await menuOn(wd, "too late to take back");
  const revoke = await wd.find("[data-testid=menu-revoke]");
  await sleep(4500);
  await revoke.click();
  const err = await wd.find(".banner.error", { text: "can no longer be recalled" });
  assert.match(await err.text(), /20016/);
  await shot(wd, "gap10-recall-too-late");
  // Opened again, the menu knows the server's window (given at login) and no longer offers it.
  await menuOn(wd, "too late to take back");
  await wd.find("[data-testid=menu-copy]");
  assert.equal(await wd.exec("return !!document.querySelector('[data-testid=menu-revoke]')"), false, "no recall past the server's window");
  await wd.exec("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))");
});

test("in Chinese: the muted line and the forward dialog", async () => {
  await (await wd.find("[data-testid=settings]")).click();
  const E = "element-6066-11e4-a52e-4f735466cecf";
  const sel = await wd.find("[data-testid=lang-select]");
  await wd.exec("const s = arguments[0]; s.value = 'zh'; s.dispatchEvent(new Event('change', { bubbles: true }));", { [E]: sel.id });
  await (await wd.find(".dialog .primary")).click();
  const gid = await bobsGroup("安静");
  await openChat(wd, `[data-testid='conv-${gid}']`, "安静");
  await modifyGroup(gid, 0x100, { group_modify_info_param_is_shutup_all: true });
  await wd.find("[data-testid=composer-blocked]", { text: "全员禁言中", timeout: 20000 });
  await shot(wd, "gap11-muted-zh");
  await menuOn(wd, `welcome to 安静`);
  await (await wd.find("[data-testid=menu-forward]")).click();
  await wd.find("[data-testid=forward-dialog]", { text: "或按 ID 发送" });
  await shot(wd, "gap12-forward-zh");
});
