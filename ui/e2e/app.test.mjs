// The real Confab desktop app against a real server, the other side played by confab-cli.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Keys } from "./webdriver.mjs";
import { cleanup, Peer, shot, sleep, startApp, startServer, signedUpPeers } from "./harness.mjs";

let url, bob, carol, app, wd;

before(async () => {
  url = await startServer();
  [bob, carol] = await signedUpPeers(url, "bob", "carol");
  app = await startApp();
  wd = app.wd;
});

after(async () => {
  await app?.stop();
  cleanup();
});

test("sign up in the window", async () => {
  await (await wd.find("[data-testid=tab-signup]")).click();
  const server = await wd.find("input[name=server]");
  await server.clear();
  await server.type(url);
  await (await wd.find("input[name=userId]")).type("alice");
  await (await wd.find("input[name=password]")).type("alice-password-1");
  await (await wd.find("input[name=nickName]")).type("Alice");
  await shot(wd, "01-sign-up");
  await (await wd.find("[data-testid=signin-submit]")).click();
  await wd.find("[data-testid=me]", { text: "alice", timeout: 20000 });
  // The shell keeps the session (UserSig included) in an owner-only file; the webview's
  // storage holds no UserSig.
  const kept = join(app.home, "data", "org.confab.desktop", "session.json");
  await wd.until("the session to be kept", async () => existsSync(kept));
  assert.match(readFileSync(kept, "utf8"), /"user_id":"alice"/, "the session is remembered");
  assert.equal(statSync(kept).mode & 0o777, 0o600);
  const storage = await wd.exec("return JSON.stringify(Object.assign({}, localStorage))");
  assert.doesNotMatch(storage, /user_sig|eJ[wy]/, "no UserSig in the webview's storage");
  await shot(wd, "02-signed-in");
});

test("send a text to bob and see it read", async () => {
  await (await wd.find("[data-testid=new-chat]")).click();
  await (await wd.find("input[name=peer]")).type("bob");
  await (await wd.find("[data-testid=start-chat]")).click();
  await wd.find("[data-testid=chat-title]", { text: "bob" });
  const composer = await wd.find("[data-testid=composer]");
  await composer.type("Hello Bob! See https://example.org ");
  await (await wd.find("[data-testid=emoji-button]")).click();
  await (await wd.find("[data-testid=emoji-picker] button[aria-label='😀']")).click();
  await composer.type(Keys.Enter);
  await bob.waitText("Hello Bob! See https://example.org 😀");
  await wd.find("[data-testid=msg-row][data-state=sent]");
  assert.equal(await wd.count("[data-testid=bubble] a"), 1, "the link is clickable");
  await bob.call("TIMMsgReportReaded", { conv_id: "alice", conv_type: 1 });
  await wd.find("[data-testid=read-tick]", { timeout: 15000 });
  await shot(wd, "03-sent-and-read");
});

test("receive bob's reply, unread badge while another chat is open", async () => {
  await bob.sendText("alice", "Hi Alice, got it 👍");
  await wd.find("[data-testid=bubble]", { text: "Hi Alice, got it" });
  // Open another chat, then bob writes again: his conversation shows an unread badge.
  await (await wd.find("[data-testid=new-chat]")).click();
  await (await wd.find("input[name=peer]")).type("carol");
  await (await wd.find("[data-testid=start-chat]")).click();
  await wd.find("[data-testid=chat-title]", { text: "carol" });
  await bob.sendText("alice", "Are you there?");
  const badge = await wd.find("[data-testid=conv-bob] [data-testid=unread-badge]", { timeout: 15000 });
  assert.equal(await badge.text(), "1");
  await wd.find("[data-testid=conv-bob] .conv-preview", { text: "Are you there?" });
  await shot(wd, "04-unread-badge");
  await (await wd.find("[data-testid=conv-bob]")).click();
  await wd.find("[data-testid=bubble]", { text: "Are you there?" });
  await wd.until("the badge to clear", async () => (await wd.count("[data-testid=conv-bob] [data-testid=unread-badge]")) === 0);
  // Opening the chat reported it read: bob gets the receipt.
  await bob.waitEvent((e) => e.event === "TIMMsgReadedReceiptCallback" && e.json.some((r) => r.msg_receipt_conv_id === "alice"));
  await shot(wd, "05-chat");
});

test("draft kept per conversation", async () => {
  const composer = await wd.find("[data-testid=composer]");
  await composer.type("half-written thought");
  await (await wd.find("[data-testid=conv-carol]")).click();
  await wd.find("[data-testid=chat-title]", { text: "carol" });
  await wd.find("[data-testid=conv-bob] .draft-mark", { timeout: 10000 });
  await (await wd.find("[data-testid=conv-bob]")).click();
  await wd.until("the draft back in the composer", async () => (await (await wd.find("[data-testid=composer]")).prop("value")) === "half-written thought");
  // Empty the composer as a person would; leaving the chat then drops the draft.
  await (await wd.find("[data-testid=composer]")).type(Keys.Control + "a" + Keys.Control + Keys.Backspace);
  await (await wd.find("[data-testid=conv-carol]")).click();
  await wd.until("the draft to go", async () => (await wd.count("[data-testid=conv-bob] .draft-mark")) === 0);
});

test("create a group and chat in it", async () => {
  await (await wd.find("[data-testid=new-group]")).click();
  await (await wd.find("input[name=groupName]")).type("Weekend trip");
  await (await wd.find("input[name=groupMembers]")).type("bob, carol");
  await (await wd.find("[data-testid=create-group]")).click();
  await wd.find("[data-testid=chat-title]", { text: "Weekend trip" });
  const composer = await wd.find("[data-testid=composer]");
  await composer.type("Who brings the tent?");
  await composer.type(Keys.Enter);
  await carol.waitText("Who brings the tent?");
  const sent = (await carol.waitText("Who brings the tent?")).json[0];
  await carol.sendText(sent.message_conv_id, "I do!", 2);
  await wd.find("[data-testid=bubble]", { text: "I do!" });
  await shot(wd, "06-group");
});

test("kicked offline when the account signs in elsewhere", async () => {
  const other = new Peer(url);
  await other.signUp("alice", "alice-password-1", false);
  await wd.find("[data-testid=kicked-dialog]", { timeout: 20000 });
  await sleep(300);
  await shot(wd, "07-kicked");
  await (await wd.find("[data-testid=sign-in-again]")).click();
  await wd.until("the dialog to close", async () => (await wd.count("[data-testid=kicked-dialog]")) === 0);
  await other.waitEvent((e) => e.event === "TIMKickedOfflineCallback");
});

test("change the password, then sign out everywhere, from settings", async () => {
  // alice's laptop (another platform) is online beside the window.
  const laptop = new Peer(url, { platform: 4 });
  await laptop.signUp("alice", "alice-password-1", false);
  await (await wd.find("[data-testid=settings]")).click();
  await (await wd.find("[data-testid=change-password-open]")).click();
  await (await wd.find("[data-testid=password-old]")).type("alice-password-1");
  await (await wd.find("[data-testid=password-new]")).type("alice-password-2");
  await (await wd.find("[data-testid=password-again]")).type("alice-password-2");
  await shot(wd, "07b-change-password");
  await (await wd.find("[data-testid=password-save]")).click();
  await wd.find("[data-testid=password-changed]", { timeout: 15000 });
  // The laptop is signed out at once; the window goes on.
  await laptop.waitEvent((e) => e.event === "TIMUserSigExpiredCallback");
  await (await wd.find(".dialog .primary")).click();
  await (await wd.find("[data-testid=conv-bob]")).click();
  const composer = await wd.find("[data-testid=composer]");
  await composer.type("New password, same me" + Keys.Enter);
  await bob.waitText("New password, same me");
  // The old password no longer signs in; the new one does.
  await assert.rejects(new Peer(url, { platform: 3 }).signUp("alice", "alice-password-1", false), /70402/);
  const phone = new Peer(url, { platform: 3 });
  await phone.signUp("alice", "alice-password-2", false);
  // Sign out everywhere: the phone and the window are both signed out.
  await (await wd.find("[data-testid=settings]")).click();
  await (await wd.find("[data-testid=sign-out-everywhere]")).click();
  await (await wd.find("[data-testid=sign-out-everywhere]")).click();
  await wd.find("[data-testid=signin-submit]", { timeout: 15000 });
  await phone.waitEvent((e) => e.event === "TIMUserSigExpiredCallback");
  assert.equal(existsSync(join(app.home, "data", "org.confab.desktop", "session.json")), false, "the kept session is gone");
  await shot(wd, "07c-signed-out-everywhere");
  // Sign in again with the new password, as a person would.
  await (await wd.find("input[name=password]")).type("alice-password-2");
  await (await wd.find("[data-testid=signin-submit]")).click();
  await wd.find("[data-testid=me]", { text: "alice", timeout: 20000 });
});

test("the window never leaves the app (a script or a link cannot navigate it)", async () => {
  const here = await wd.exec("return location.href");
  await wd.exec(`location.href = ${JSON.stringify(url.replace(/^ws:/, "http:") + "/healthz")}`);
  await sleep(800);
  assert.equal(await wd.exec("return location.href"), here);
  await wd.find("[data-testid=me]", { text: "alice" });
});

test("Chinese and dark theme from settings", async () => {
  await (await wd.find("[data-testid=conv-bob]")).click();
  await (await wd.find("[data-testid=settings]")).click();
  const lang = await wd.find("[data-testid=lang-select]");
  await wd.exec("const s = arguments[0]; s.value = 'zh'; s.dispatchEvent(new Event('change', { bubbles: true }));", { "element-6066-11e4-a52e-4f735466cecf": lang.id });
  const theme = await wd.find("[data-testid=theme-select]");
  await wd.exec("const s = arguments[0]; s.value = 'dark'; s.dispatchEvent(new Event('change', { bubbles: true }));", { "element-6066-11e4-a52e-4f735466cecf": theme.id });
  await wd.find("[data-testid=sign-out]", { text: "退出登录" });
  assert.equal(await wd.exec("return document.documentElement.dataset.theme"), "dark");
  await shot(wd, "08-settings-zh-dark");
  await (await wd.find(".dialog .primary")).click();
  await wd.find("[data-testid=send]", { text: "发送" });
  await shot(wd, "09-chat-zh-dark");
});
