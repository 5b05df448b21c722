// Desktop notifications and the conversation list of the real app: notifications are really
// raised over D-Bus (watched with dbus-monitor; a real notification server, dunst, gives them
// ids and clicks them), never for a muted conversation; pin, mute, search and delete from the
// list. The other people are played by confab-cli. Runs under xvfb-run + dbus-run-session.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, run, shot, sleep, startNotificationServer, startServer, watchNotifications, signedUpPeers, startSignedUp } from "./harness.mjs";

let url, bob, carol, app, wd, bus;

before(async () => {
  url = await startServer();
  [bob, carol] = await signedUpPeers(url, "bob", "carol");
  await startNotificationServer();
  bus = watchNotifications();
  await bus.ready;
  app = await startSignedUp(url, "alice");
  wd = app.wd;
});

after(async () => {
  await app?.stop();
  cleanup();
});

const notified = (body) => bus.notifies().find((n) => n.body === body);
const order = () => wd.exec("return [...document.querySelectorAll('[data-testid=conv-list] .conv')].map((e) => e.dataset.testid)");

async function menu(convId, action) {
  await (await wd.find(`[data-testid=conv-menu-${convId}]`)).click();
  await (await wd.find(`[data-testid=menu-${action}]`)).click();
}

test("a message while its chat is not open raises a notification with the sender's name", async () => {
  await bob.sendText("alice", "ping from bob");
  await wd.find("[data-testid=conv-bob] .conv-preview", { text: "ping from bob" });
  const n = await wd.until("a Notify call on the session bus", async () => notified("ping from bob"));
  assert.equal(n.summary, "bob");
  await shot(wd, "notify-01-list");
});

test("muted from the list menu: mute mark, and no notification", async () => {
  await menu("bob", "recv2");
  await wd.find("[data-testid=conv-bob][data-muted=true] [data-testid=mute-mark]");
  await bob.sendText("alice", "quiet please");
  await wd.find("[data-testid=conv-bob] .conv-preview", { text: "quiet please" });
  // The app handles the message before the list shows it; give a notification time to appear.
  await sleep(1500);
  assert.equal(notified("quiet please"), undefined, "no notification for a muted conversation");
  // carol is not muted: hers still notifies (the watch is live).
  await carol.sendText("alice", "hello from carol");
  await wd.until("carol's notification", async () => notified("hello from carol"));
  await shot(wd, "notify-02-muted");
});

test("pin and unpin from the list menu", async () => {
  await wd.until("carol's chat on top (newest)", async () => (await order()).join() === "conv-carol,conv-bob");
  await menu("bob", "pin");
  await wd.find("[data-testid=conv-bob][data-pinned=true] [data-testid=pin-mark]");
  await wd.until("the pinned chat on top", async () => (await order()).join() === "conv-bob,conv-carol");
  // A newer message elsewhere does not move it.
  await carol.sendText("alice", "still below the pin");
  await wd.find("[data-testid=conv-carol] .conv-preview", { text: "still below the pin" });
  assert.deepEqual(await order(), ["conv-bob", "conv-carol"]);
  await shot(wd, "notify-03-pinned");
  await menu("bob", "unpin");
  await wd.until("back in time order", async () => (await order()).join() === "conv-carol,conv-bob");
  assert.equal(await wd.count("[data-testid=conv-bob] [data-testid=pin-mark]"), 0);
});

test("clicking a notification opens its conversation", async () => {
  assert.equal(await wd.count("[data-testid=chat-title]"), 0, "no chat is open");
  await run("dunstctl", ["close-all"]);
  await carol.sendText("alice", "click to open me");
  await wd.until("the notification", async () => notified("click to open me"));
  await sleep(300);
  // The notification server's own click path: dunst invokes the notification's default action.
  await run("dunstctl", ["action", "0"]);
  await wd.find("[data-testid=chat-title]", { text: "carol", timeout: 10000 });
  await shot(wd, "notify-04-opened-from-notification");
});

test("search messages from the list: grouped per chat, highlighted, opens the chat at the message", async () => {
  // Push "quiet please" out of the chat's first page, so opening the hit has to page back.
  await Promise.all(Array.from({ length: 60 }, (_, i) => bob.sendText("alice", `filler ${i}`)));
  await wd.find("[data-testid=conv-bob] .conv-preview", { text: "filler" });
  const box = await wd.find("[data-testid=search-input]");
  await box.type("please");
  await wd.find("[data-testid=search-results]");
  await wd.find("[data-testid=search-group-bob] mark", { text: "please" });
  assert.equal(await wd.count("[data-testid=search-group-carol]"), 0, "carol's messages do not match");
  await shot(wd, "notify-05-search");
  await (await wd.find("[data-testid=search-group-bob] [data-testid=search-hit]")).click();
  await wd.find("[data-testid=chat-title]", { text: "bob" });
  // The chat pages back to the hit, scrolls it into view and highlights it.
  await wd.find("[data-found=true]", { text: "quiet please", timeout: 15000 });
  const inView = await wd.exec(`const r = document.querySelector("[data-found=true]").getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;`);
  assert.ok(inView, "the found message is in view");
  // Opened at the message the person chose (and marked read): no "↑ N unread" pill with the
  // count from before, and no unread badge left in the list.
  await sleep(1000);
  assert.equal(await wd.count("[data-testid=jump-unread]"), 0, "no unread pill after a search-hit jump");
  await shot(wd, "notify-06-search-hit-opened");
  await box.clear();
  await box.type("zzz-no-such-words");
  await wd.find("[data-testid=search-empty]");
  await (await wd.find(".search-clear")).click();
  await wd.find("[data-testid=conv-list]");
  assert.equal(await wd.count("[data-testid=conv-bob] [data-testid=unread-badge]"), 0, "bob's chat is read");
});

test("delete a chat from the list menu", async () => {
  await menu("carol", "delete");
  await (await wd.find("[data-testid=menu-confirm-delete]")).click();
  await wd.until("carol's chat gone", async () => (await wd.count("[data-testid=conv-carol]")) === 0);
  assert.equal(await wd.count("[data-testid=conv-bob]"), 1);
});
