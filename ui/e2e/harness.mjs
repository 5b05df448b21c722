// End-to-end harness: a real confab-server, peers played by confab-cli, and the real desktop
// app driven through tauri-driver + WebKitWebDriver. Run inside an X display (xvfb-run).
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, homedir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { WebDriver } from "./webdriver.mjs";

export const ROOT = resolve(import.meta.dirname, "../..");
const BIN = process.env.CONFAB_BIN_DIR ?? join(ROOT, "target/debug");
export const SHOTS = process.env.CONFAB_SCREENSHOT_DIR ?? join(ROOT, "target/e2e-screenshots");

const children = [];
const tempDirs = [];
/** A new temporary directory, removed by `cleanup()` (and when the test process exits), so that
 * runs leave nothing behind in /tmp. Set CONFAB_E2E_KEEP=1 to keep them for a post-mortem. */
export function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), `confab-e2e-${prefix}-`));
  tempDirs.push(d);
  return d;
}
/** Ends every process the harness started and removes its temporary directories. */
export function cleanup() {
  for (const c of children.reverse()) if (c.exitCode === null) c.kill("SIGTERM");
  children.length = 0;
  if (process.env.CONFAB_E2E_KEEP === "1") return;
  // A process just told to stop may still write a file or two; retry the removal briefly.
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  tempDirs.length = 0;
}
process.on("exit", cleanup);

export function freePort() {
  return new Promise((ok, err) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", err);
  });
}

function lines(stream, onLine) {
  createInterface({ input: stream }).on("line", onLine);
}

/** A fresh confab-server on a free port; resolves to its ws:// URL. `opts.dir` names its data
 * dir (default: a new temporary one). */
export async function startServer(opts = {}) {
  const dir = opts.dir ?? tempDir("server");
  const p = spawn(join(BIN, "confab-server"), ["--listen", "127.0.0.1:0", "--data-dir", dir], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(p);
  return new Promise((ok, err) => {
    const t = setTimeout(() => err(new Error("server did not start")), 20000);
    lines(p.stdout, (l) => {
      const m = /^listening on (ws:\/\/\S+)/.exec(l);
      if (m) {
        clearTimeout(t);
        ok(m[1]);
      }
    });
    p.on("exit", (c) => err(new Error(`server exited ${c}`)));
  });
}

/** A peer: one confab-cli process speaking JSON lines. */
export class Peer {
  /** `opts.platform`: the TIMPlatform to log in as (another device of the same user). */
  constructor(url, opts = {}) {
    this.dir = tempDir("peer");
    const extra = opts.platform === undefined ? [] : ["--platform", String(opts.platform)];
    this.p = spawn(join(BIN, "confab-cli"), ["--server", url, "--data-dir", this.dir, ...extra], { stdio: ["pipe", "pipe", "inherit"] });
    children.push(this.p);
    this.url = url;
    this.nextId = 1;
    this.waiting = new Map();
    this.events = [];
    this.eventWaiters = [];
    lines(this.p.stdout, (l) => {
      const v = JSON.parse(l);
      if (v.event) {
        this.events.push(v);
        for (const w of [...this.eventWaiters]) if (w.pred(v)) {
          this.eventWaiters.splice(this.eventWaiters.indexOf(w), 1);
          w.ok(v);
        }
        return;
      }
      const w = this.waiting.get(v.id);
      if (!w) return;
      if (v.result !== undefined && v.result !== 0) w.err(new Error(`${w.api}: result ${v.result} ${v.desc ?? ""}`));
      else if (v.result !== undefined) { if (!w.hasCallback) w.ok(v); }
      else if (v.code !== undefined) v.code === 0 ? w.ok(v.json) : w.err(new Error(`${w.api}: code ${v.code} ${v.desc}`));
    });
  }

  call(api, params = {}, hasCallback = true) {
    const id = this.nextId++;
    return new Promise((ok, err) => {
      this.waiting.set(id, { ok, err, api, hasCallback });
      this.p.stdin.write(JSON.stringify({ id, api, params }) + "\n");
    });
  }

  /** Register (or sign in) with a password, then init and log in. */
  async signUp(userId, password, register = true) {
    const acc = await this.call(register ? "ConfabRegister" : "ConfabSignIn", { user_id: userId, password, server_url: this.url });
    await this.call("TIMInit", { sdk_app_id: acc.sdk_app_id }, false);
    await this.call("TIMLogin", { user_id: userId, user_sig: acc.user_sig });
    this.userId = userId;
    return acc;
  }

  sendText(convId, text, convType = 1) {
    return this.call("TIMMsgSendMessage", {
      conv_id: convId, conv_type: convType,
      json_msg_param: { message_elem_array: [{ elem_type: 0, text_elem_content: text }] },
    });
  }

  /** The first event (past or future) matching `pred`. */
  waitEvent(pred, timeout = 15000) {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((ok, err) => {
      const w = { pred, ok };
      this.eventWaiters.push(w);
      setTimeout(() => err(new Error("timed out waiting for a peer event")), timeout);
    });
  }

  waitText(text, timeout) {
    return this.waitEvent(
      (e) => e.event === "TIMRecvNewMsgCallback" && e.json.some((m) => m.message_elem_array.some((el) => el.text_elem_content === text)),
      timeout,
    );
  }
}

/** The desktop app under tauri-driver, with its own data, config and WebKit storage.
 * `opts.home` reuses a home from an earlier start (the same app data and WebKit storage, so a
 * remembered session resumes); `opts.env` adds environment variables (e.g.
 * CONFAB_DESKTOP_DATA_DIR). */
export async function startApp(opts = {}) {
  const app = process.env.CONFAB_DESKTOP_BIN ?? join(BIN, "confab-desktop");
  if (!existsSync(app)) throw new Error(`no app binary at ${app}: build with --features custom-protocol`);
  const home = opts.home ?? tempDir("app");
  for (const d of ["data", "config", "cache"]) mkdirSync(join(home, d), { recursive: true });
  const port = await freePort();
  const nativePort = await freePort();
  const driverBin = process.env.TAURI_DRIVER ?? (existsSync(join(homedir(), ".cargo/bin/tauri-driver")) ? join(homedir(), ".cargo/bin/tauri-driver") : "tauri-driver");
  const env = {
    ...process.env,
    XDG_DATA_HOME: join(home, "data"),
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_CACHE_HOME: join(home, "cache"),
    LANG: process.env.CONFAB_E2E_LANG ?? "en_US.UTF-8",
    ...opts.env,
  };
  const driver = spawn(driverBin, ["--port", String(port), "--native-port", String(nativePort)], { env, stdio: ["ignore", "inherit", "inherit"] });
  children.push(driver);
  const wd = await WebDriver.start(`http://127.0.0.1:${port}`, { "tauri:options": { application: app } });
  return {
    wd, home, driver,
    stop: async () => {
      await wd.quit();
      driver.kill("SIGTERM");
      await appGone(env.XDG_DATA_HOME);
    },
  };
}

/** The app process started with this XDG_DATA_HOME (each start has its own), if still running. */
function appPidFor(dataHome) {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (!comm.startsWith("confab-desktop") || stat.slice(stat.lastIndexOf(")") + 2)[0] === "Z") continue;
      if (readFileSync(`/proc/${d}/environ`, "utf8").split("\0").includes(`XDG_DATA_HOME=${dataHome}`)) return Number(d);
    } catch {
      /* gone */
    }
  }
  return null;
}

/** Wait for the app to exit after its session ended; one that stays (a signed-in app has been
 * seen to linger for seconds) is ended by its pid, since the app is single-instance and the next
 * start would otherwise hand over to it and exit. */
async function appGone(dataHome) {
  for (let i = 0; i < 30 && appPidFor(dataHome); i++) await sleep(100);
  const pid = appPidFor(dataHome);
  if (pid) {
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 30 && appPidFor(dataHome); i++) await sleep(100);
    if (appPidFor(dataHome)) process.kill(pid, "SIGKILL");
  }
  // Its single-instance name leaves the session bus shortly after the process.
  await sleep(1000);
}

/** `dbus-monitor` on the session bus (the test runs under dbus-run-session), watching the
 * Desktop Notifications interface. `notifies()` lists the Notify calls seen so far as
 * `{app, summary, body}`. */
export function watchNotifications() {
  const p = spawn("dbus-monitor", ["--session", "interface='org.freedesktop.Notifications'"], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(p);
  const calls = [];
  let cur = null;
  lines(p.stdout, (l) => {
    if (!/^\s/.test(l)) {
      cur = /member=Notify\b/.test(l) && /^method call/.test(l) ? { strings: [] } : null;
      if (cur) calls.push(cur);
      return;
    }
    const m = /^\s+string "(.*)"$/.exec(l);
    if (cur && m) cur.strings.push(m[1]);
  });
  // dbus-monitor prints its own NameAcquired signal once it listens.
  const ready = sleep(500);
  return {
    ready,
    notifies: () => calls.filter((c) => c.strings.length >= 4).map((c) => ({ app: c.strings[0], summary: c.strings[2], body: c.strings[3] })),
    stop: () => p.kill("SIGTERM"),
  };
}

/** A real notification server (dunst) on the test's session bus and X display, so that
 * notifications get ids and clicks can be made with `dunstctl action`. */
export async function startNotificationServer() {
  const conf = join(tempDir("dunst"), "dunstrc");
  writeFileSync(conf, "[global]\n    timeout = 0\n    sort = no\n");
  const p = spawn("dunst", ["-config", conf], { stdio: ["ignore", "ignore", "inherit"] });
  children.push(p);
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise((res) => {
      const q = spawn("dunstctl", ["is-paused"], { stdio: "ignore" });
      q.on("exit", (c) => res(c === 0));
    });
    if (ok) return { stop: () => p.kill("SIGTERM") };
    await sleep(200);
  }
  throw new Error("dunst did not start");
}

/** Run a command to completion; resolves to its stdout. */
export function run(cmd, args) {
  return new Promise((ok, err) => {
    const q = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    q.stdout.on("data", (d) => (out += d));
    q.on("exit", (c) => (c === 0 ? ok(out) : err(new Error(`${cmd} ${args.join(" ")} exited ${c}`))));
  });
}

export async function shot(wd, name) {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  writeFileSync(path, await wd.screenshot());
  return path;
}

export { sleep };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** One PNG chunk (length, type, data, CRC-32 of type + data), for the test images the e2e
 *  files make by hand. */
export function pngChunk(type, data) {
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  let c = 0xffffffff;
  for (const b of td) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  td.copy(out, 4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0, 8 + data.length);
  return out;
}

/** Start a one-to-one chat with `peer` from the new-chat dialog and wait for it to open. */
export async function startChat(wd, peer) {
  await (await wd.find("[data-testid=new-chat]")).click();
  await (await wd.find("input[name=peer]")).type(peer);
  await (await wd.find("[data-testid=start-chat]")).click();
  await wd.find("[data-testid=chat-title]", { text: peer });
}

/** Click a conversation until its chat shows (a click may land while the list re-sorts). */
export async function openChat(wd, css, title) {
  await wd.until(`the chat "${title}"`, async () => {
    await (await wd.find(css)).click();
    await sleep(300);
    return (await (await wd.find("[data-testid=chat-title]")).text()) === title;
  }, 20000);
}

/** Open the context menu of the (last) bubble with exactly this text, as a right click does. */
export async function menuOn(wd, text) {
  await wd.find("[data-testid=bubble]", { text });
  const ok = await wd.exec(`const b = [...document.querySelectorAll('[data-testid=bubble]')].filter((e) => e.textContent === arguments[0]).pop();
    if (!b) return false;
    b.scrollIntoView({ block: 'center' });
    const r = b.getBoundingClientRect();
    b.dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, cancelable: true, clientX: r.left + 10, clientY: r.top + 10 }));
    return true;`, text);
  if (!ok) throw new Error(`no bubble "${text}"`);
  await wd.find("[data-testid=context-menu]");
}

/** Peers signed up on `url`, one per id (password `<id>-password-1`), in that order. */
export async function signedUpPeers(url, ...ids) {
  const peers = ids.map(() => new Peer(url));
  for (const [i, id] of ids.entries()) await peers[i].signUp(id, `${id}-password-1`);
  return peers;
}

/** The app started, with `userId` (password `<id>-password-1`) signed up in its window. */
export async function startSignedUp(url, userId, nickName) {
  const app = await startApp();
  await signUpInWindow(app.wd, url, userId, `${userId}-password-1`, nickName);
  return app;
}

/** Sign `userId` up in the window (the sign-up tab, against `url`) and wait until signed in. */
export async function signUpInWindow(wd, url, userId, password, nickName) {
  await (await wd.find("[data-testid=tab-signup]")).click();
  const server = await wd.find("input[name=server]");
  await server.clear();
  await server.type(url);
  await (await wd.find("input[name=userId]")).type(userId);
  await (await wd.find("input[name=password]")).type(password);
  if (nickName) await (await wd.find("input[name=nickName]")).type(nickName);
  await (await wd.find("[data-testid=signin-submit]")).click();
  await wd.find("[data-testid=me]", { text: userId, timeout: 20000 });
}
