// The chat view in the real window: a windowed list over thousands of messages (paging older
// history, jump to the first unread, the new-messages pill), the message menu (forward, select
// and forward as one merged message, delete for me, recall; an admin recalls a member's message
// and the line says who recalled whose)
// and @mentions. Others are played by confab-cli.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Keys } from "./webdriver.mjs";
import { cleanup, shot, sleep, startServer, signedUpPeers, startSignedUp, menuOn, openChat, startChat } from "./harness.mjs";

let url, bob, carol, app, wd, gid;

before(async () => {
  url = await startServer();
  [bob, carol] = await signedUpPeers(url, "bob", "carol");
  app = await startSignedUp(url, "alice", "Alice");
  wd = app.wd;
});

after(async () => {
  await app?.stop();
  cleanup();
});

/** Send `n` texts `${prefix} 0000`… from a peer, many in flight at once. */
async function flood(peer, to, prefix, n, convType = 1) {
  const label = (i) => `${prefix} ${String(i).padStart(4, "0")}`;
  for (let i = 0; i < n; i += 250) {
    await Promise.all(Array.from({ length: Math.min(250, n - i) }, (_, j) => peer.sendText(to, label(i + j), convType)));
  }
}

/** The list's numbers: loaded messages, bubbles in the DOM, and where it is scrolled. */
const listState = () =>
  wd.exec(`const l = document.querySelector('[data-testid=messages]');
    return { loaded: Number(l.dataset.count), bubbles: l.querySelectorAll('[data-testid=bubble]').length,
      top: l.scrollTop, bottom: l.scrollHeight - l.scrollTop - l.clientHeight };`);

/** Whether a bubble with exactly this text is inside the list's viewport. */
const inView = (text) =>
  wd.exec(`const l = document.querySelector('[data-testid=messages]').getBoundingClientRect();
    const b = [...document.querySelectorAll('[data-testid=bubble]')].find((e) => e.textContent === arguments[0]);
    if (!b) return false;
    const r = b.getBoundingClientRect();
    return r.bottom > l.top && r.top < l.bottom;`, text);

/** Tick the selection box of the bubble with this text. */
async function pick(text) {
  const ok = await wd.exec(`const b = [...document.querySelectorAll('[data-testid=bubble]')].filter((e) => e.textContent === arguments[0]).pop();
    const box = b?.closest('[data-testid=msg-row]')?.querySelector('[data-testid=msg-pick]');
    if (!box) return false;
    box.click();
    return box.checked;`, text);
  assert.ok(ok, `picked "${text}"`);
}

test("thousands of messages: windowed, older pages on scrolling up, jump to the first unread", async () => {
  const t0 = Date.now();
  await flood(bob, "alice", "old", 1500);
  const oldMs = Date.now() - t0;
  await openChat(wd, "[data-testid=conv-bob]", "bob");
  await wd.find("[data-testid=bubble]", { text: "old 1499", timeout: 30000 });
  await startChat(wd, "carol");
  const t1 = Date.now();
  await flood(bob, "alice", "new", 500);
  console.log(`# sent 1500 messages in ${oldMs} ms, 500 in ${Date.now() - t1} ms`);
  const badge = await wd.find("[data-testid=conv-bob] [data-testid=unread-badge]", { timeout: 30000 });
  await wd.until("500 unread", async () => (await badge.text()) === "99+", 30000);

  await openChat(wd, "[data-testid=conv-bob]", "bob");
  await wd.find("[data-testid=bubble]", { text: "new 0499" });
  await wd.find("[data-testid=jump-unread]", { text: "500" });
  let s = await listState();
  assert.ok(s.bubbles < 40, `only rows near the viewport are in the DOM (${s.bubbles})`);
  assert.ok(s.bottom < 50, "opens at the bottom");
  await shot(wd, "c01-long-chat-unread");

  // Scrolling up pages older history in; what is on screen stays put while rows are added above.
  for (let i = 0; i < 6; i++) {
    const before = (await listState()).loaded;
    await wd.exec("document.querySelector('[data-testid=messages]').scrollTop = 0; document.querySelector('[data-testid=messages]').dispatchEvent(new Event('scroll'));");
    await wd.until("an older page", async () => (await listState()).loaded > before, 15000);
  }
  s = await listState();
  assert.ok(s.loaded >= 280, `older pages loaded (${s.loaded})`);
  assert.ok(s.top > 0, "the view did not jump to the new top when the page arrived");
  assert.ok(s.bubbles < 60, `still only a window of bubbles (${s.bubbles} of ${s.loaded})`);
  await shot(wd, "c02-paged-up");

  // Jump to the first unread: pages until "new 0000" is loaded and shows it.
  await (await wd.find("[data-testid=jump-unread]")).click();
  await wd.until("the first unread in view", () => inView("new 0000"), 20000);
  s = await listState();
  assert.ok(s.loaded >= 500, `history down to the first unread (${s.loaded})`);
  assert.ok(s.bubbles < 60, `windowed after the jump (${s.bubbles} of ${s.loaded})`);
  assert.equal(await inView("old 1499"), true, "the message before it is just above");
  await wd.find("[data-testid=unread-divider]");
  await wd.until("the jump button to go", async () => (await wd.count("[data-testid=jump-unread]")) === 0);
  await shot(wd, "c03-first-unread");

  // Not at the bottom: a new message shows the pill instead of moving the view.
  await bob.sendText("alice", "fresh one");
  await (await wd.find("[data-testid=new-messages-pill]", { timeout: 15000 })).click();
  await wd.until("the newest in view", () => inView("fresh one"));
  assert.ok((await listState()).bottom < 50);
});

test("a long scroll keeps a bounded window: the far end is dropped and paged in again", async () => {
  // bob's chat from the test above: 2,001 messages, at the bottom.
  const scrollTo = (where) =>
    wd.exec(`const l = document.querySelector('[data-testid=messages]');
      l.scrollTop = arguments[0] === 'top' ? 0 : l.scrollHeight; l.dispatchEvent(new Event('scroll'));`, where);
  let most = 0;
  await wd.until("the oldest message", async () => {
    await scrollTo("top");
    await sleep(50);
    most = Math.max(most, (await listState()).loaded);
    return inView("old 0000");
  }, 120000);
  assert.ok(most <= 600, `at most 600 messages held while scrolling up through 2,001 (${most})`);
  assert.ok((await listState()).loaded >= 500, "a full window is kept");
  await wd.find("[data-testid=new-messages-pill]", { text: "Latest messages" });
  await shot(wd, "c03a-oldest-bounded");

  // Something new arrives while the newest are not loaded: counted, not lost.
  await bob.sendText("alice", "while you were away");
  await wd.find("[data-testid=new-messages-pill]", { text: "New messages" });

  // Scrolling back down pages the dropped messages in again, still within the bound.
  await wd.until("old 0700 again", async () => {
    await scrollTo("bottom");
    await sleep(50);
    most = Math.max(most, (await listState()).loaded);
    return wd.exec("return [...document.querySelectorAll('[data-testid=bubble]')].some((b) => /^old 07\\d\\d$/.test(b.textContent))");
  }, 60000);
  assert.ok(most <= 600, `at most 600 on the way down (${most})`);

  // The pill goes straight to the newest, the one that came meanwhile included.
  await (await wd.find("[data-testid=new-messages-pill]")).click();
  await wd.until("the newest in view", () => inView("while you were away"), 20000);
  const s = await listState();
  assert.ok(s.bottom < 50, "at the bottom");
  assert.equal(await inView("fresh one"), true, "the message before it is just above");
  await wd.until("the pill to go", async () => (await wd.count("[data-testid=new-messages-pill]")) === 0);
});

test("forward a message to bob", async () => {
  await openChat(wd, "[data-testid=conv-carol]", "carol");
  await carol.sendText("alice", "forward me please");
  await menuOn(wd, "forward me please");
  await shot(wd, "c04-menu");
  await (await wd.find("[data-testid=menu-forward]")).click();
  await wd.find("[data-testid=forward-dialog]");
  await shot(wd, "c05-forward-picker");
  await (await wd.find("[data-testid=forward-to-bob]")).click();
  const got = await bob.waitText("forward me please");
  const m = got.json.find((x) => x.message_elem_array.some((e) => e.text_elem_content === "forward me please"));
  assert.equal(m.message_sender, "alice");
  assert.equal(m.message_is_forward_message, true);
  await wd.find("[data-testid=chat-notice]", { text: "bob" });
});

test("select three and forward them as one merged message", async () => {
  for (const x of ["one", "two", "three"]) await carol.sendText("alice", x);
  await wd.find("[data-testid=bubble]", { text: "three" });
  await menuOn(wd, "one");
  await (await wd.find("[data-testid=menu-select]")).click();
  await wd.find("[data-testid=select-bar]");
  await pick("two");
  await pick("three");
  await wd.find("[data-testid=select-bar]", { text: "3" });
  await shot(wd, "c06-selected");
  await (await wd.find("[data-testid=forward-merged]")).click();
  await (await wd.find("[data-testid=forward-to-bob]")).click();
  const ev = await bob.waitEvent((e) => e.event === "TIMRecvNewMsgCallback" && e.json.some((m) => m.message_elem_array[0]?.elem_type === 12));
  const merged = ev.json.find((m) => m.message_elem_array[0]?.elem_type === 12);
  assert.equal(merged.message_elem_array[0].merge_elem_abstract_array.length, 3);
  const inner = await bob.call("TIMMsgDownloadMergerMessage", { json_single_msg: merged });
  assert.deepEqual(inner.map((m) => m.message_elem_array[0].text_elem_content), ["one", "two", "three"]);
  assert.deepEqual(inner.map((m) => m.message_sender), ["carol", "carol", "carol"]);
  await wd.until("the selection to end", async () => (await wd.count("[data-testid=select-bar]")) === 0);
});

test("delete a message for me: gone, also after reopening", async () => {
  await menuOn(wd, "two");
  await (await wd.find("[data-testid=menu-delete]")).click();
  await wd.until("the bubble to go", async () => !(await wd.exec("return [...document.querySelectorAll('[data-testid=bubble]')].some((e) => e.textContent === 'two')")));
  await openChat(wd, "[data-testid=conv-bob]", "bob");
  await openChat(wd, "[data-testid=conv-carol]", "carol");
  await wd.find("[data-testid=bubble]", { text: "three" });
  assert.equal(await wd.exec("return [...document.querySelectorAll('[data-testid=bubble]')].some((e) => e.textContent === 'two')"), false);
});

test("recall an own message", async () => {
  const composer = await wd.find("[data-testid=composer]");
  await composer.type("oops, wrong chat");
  await composer.type(Keys.Enter);
  await carol.waitText("oops, wrong chat");
  await wd.find("[data-testid=msg-row][data-state=sent]");
  await menuOn(wd, "oops, wrong chat");
  await (await wd.find("[data-testid=menu-revoke]")).click();
  await wd.find("[data-testid=center-line]", { text: "You recalled a message" });
  await carol.waitEvent((e) => e.event === "TIMMsgRevokeCallback");
  // Others' messages in a C2C chat cannot be recalled.
  await menuOn(wd, "three");
  assert.equal(await wd.count("[data-testid=menu-revoke]"), 0);
  await wd.exec("document.body.click()");
  await shot(wd, "c07-recalled");
});

test("in a group: the owner recalls a member's message; @mentions both ways", async () => {
  await (await wd.find("[data-testid=new-group]")).click();
  await (await wd.find("input[name=groupName]")).type("Book club");
  await (await wd.find("input[name=groupMembers]")).type("bob, carol");
  await (await wd.find("[data-testid=create-group]")).click();
  await wd.find("[data-testid=chat-title]", { text: "Book club" });
  let composer = await wd.find("[data-testid=composer]");
  await composer.type("Welcome!");
  await composer.type(Keys.Enter);
  gid = (await bob.waitText("Welcome!")).json[0].message_conv_id;

  const spam = await bob.sendText(gid, "buy cheap watches", 2);
  await menuOn(wd, "buy cheap watches");
  await (await wd.find("[data-testid=menu-revoke]")).click();
  // The owner recalled bob's message: her line names bob as the sender and her as the one who
  // recalled it; bob's callback and his copy of the message say who recalled it.
  await wd.find("[data-testid=center-line]", { text: "You recalled a message from bob" });
  await wd.find(`[data-testid="conv-${gid}"]`, { text: "You recalled a message from bob" });
  const rv = await bob.waitEvent((e) => e.event === "TIMMsgRevokeCallback" && e.json.some((l) => l.message_locator_conv_id === gid));
  const loc = rv.json.find((l) => l.message_locator_conv_id === gid);
  assert.equal(loc.message_revoker_user_id, "alice");
  assert.equal(loc.message_revoker_nick_name, "Alice");
  const [bobCopy] = await bob.call("TIMMsgFindMessages", { json_message_id_array: [spam.message_msg_id] });
  assert.equal(bobCopy.message_status, 6);
  assert.equal(bobCopy.message_revoker_user_id, "alice");
  // A member recalling her own message: the line names her.
  const typo = await carol.sendText(gid, "wrong group, sorry", 2);
  await wd.find("[data-testid=bubble]", { text: "wrong group, sorry" });
  await carol.call("TIMMsgRevoke", { conv_id: gid, conv_type: 2, json_msg_param: typo });
  await wd.find("[data-testid=center-line]", { text: "carol recalled a message" });
  const lines = await wd.exec("return [...document.querySelectorAll('[data-testid=center-line]')].map((e) => e.textContent)");
  assert.ok(lines.includes("You recalled a message from bob"), lines.join(" | "));
  assert.ok(lines.includes("carol recalled a message"), lines.join(" | "));
  assert.ok(!lines.includes("bob recalled a message"), "the sender is not named as the one who recalled it");
  await shot(wd, "c08a-admin-recall-lines");

  // @bob from the picker (keyboard: type to filter, Enter picks).
  composer = await wd.find("[data-testid=composer]");
  await composer.type("@bo");
  await wd.find("[data-testid=mention-picker] [data-testid=mention-bob]");
  await shot(wd, "c08-mention-picker");
  await composer.type(Keys.Enter);
  assert.equal(await composer.prop("value"), "@bob ");
  await composer.type("what do you think?");
  await composer.type(Keys.Enter);
  const got = await bob.waitText("@bob what do you think?");
  const m = got.json.find((x) => x.message_elem_array[0]?.text_elem_content === "@bob what do you think?");
  assert.deepEqual(m.message_group_at_user_array, ["bob"]);

  // bob mentions alice while she is in another chat: the list says [@me]; the bubble is marked.
  await openChat(wd, "[data-testid=conv-carol]", "carol");
  await bob.call("TIMMsgSendMessage", {
    conv_id: gid, conv_type: 2,
    json_msg_param: { message_elem_array: [{ elem_type: 0, text_elem_content: "@Alice chapter 3 tonight?" }], message_group_at_user_array: ["alice"] },
  });
  await wd.find(`[data-testid="conv-${gid}"] [data-testid=at-mark]`, { text: "@me", timeout: 15000 });
  await shot(wd, "c09-at-me-in-list");
  await openChat(wd, `[data-testid="conv-${gid}"]`, "Book club");
  await wd.find("[data-testid=msg-row][data-mentioned=true]", { text: "chapter 3" });
  await wd.until("the [@me] mark to clear", async () => (await wd.count(`[data-testid="conv-${gid}"] [data-testid=at-mark]`)) === 0);
  await shot(wd, "c10-mentioned");

  // In bob's group, bob (the owner) recalls alice's message: her window says he recalled hers.
  const chess = await bob.call("TIMGroupCreate", { json_group_create_param: {
    create_group_param_group_name: "Chess", create_group_param_group_type: 1,
    create_group_param_group_member_array: [{ group_member_info_identifier: "alice" }] } });
  const g2 = chess.create_group_result_groupid;
  await bob.sendText(g2, "Your move, Alice", 2);
  await openChat(wd, `[data-testid="conv-${g2}"]`, "Chess");
  composer = await wd.find("[data-testid=composer]");
  await composer.type("e4, my move");
  await composer.type(Keys.Enter);
  const move = (await bob.waitText("e4, my move")).json.find((x) => x.message_elem_array[0]?.text_elem_content === "e4, my move");
  await bob.call("TIMMsgRevoke", { conv_id: g2, conv_type: 2, json_msg_param: move });
  await wd.find("[data-testid=center-line]", { text: "bob recalled your message" });
  await shot(wd, "c10a-owner-recalled-mine");
});
