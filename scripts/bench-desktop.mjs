// Start-up and memory benchmark of the real desktop app (driven by scripts/bench-desktop.sh,
// which builds everything and runs this under xvfb-run + dbus-run-session).
//
// 1. A real confab-server; two app data dirs seeded through confab-core (`bench_seed`,
//    TIMMsgImportMsgList in the app's data dir layout): "big" (1,000 conversations, 100,000
//    messages, 10,000 of them in one conversation) and the same-run baseline "base" (one
//    conversation, one message).
// 2. For each: one priming start that stores the remembered session in the app's WebKit
//    storage, then measured starts: the app resumes the session against the server and shows
//    the conversation list. Launch time = from asking tauri-driver for the app (and from the
//    app process's own start time) to the list's DOM marker (`<html data-conv-list-at>`,
//    stamped by ConvList when it first renders conversations).
// 3. Big only: open the 10,000-message conversation and scroll up through it (the chat loads
//    older pages as the top is reached), then read VmRSS of the app process and its WebKit
//    children (web and network processes).
import { readFileSync, readdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanup, ROOT, run, shot, sleep, startApp, startServer } from "../ui/e2e/harness.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONVS = Number(process.env.BENCH_CONVS ?? 1000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100000);
const BIG = Number(process.env.BENCH_BIG ?? 10000);
const SCROLL_TO = Number(process.env.BENCH_SCROLL ?? 10000);
const TARGET_LAUNCH_MS = 1000;
const TARGET_RSS_MB = 300;
const BIN = process.env.CONFAB_BIN_DIR ?? join(ROOT, "target/debug");

const CLK_TCK = 100;

function procs() {
  const out = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (rest[0] === "Z") continue; // exited, not yet reaped
      out.push({ pid: Number(d), comm, ppid: Number(rest[1]), start: Number(rest[19]) });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The app process started for `dataDir` (its environment names the data dir). */
function appPid(dataDir) {
  for (const p of procs().filter((p) => p.comm.startsWith("confab-desktop"))) {
    try {
      const env = readFileSync(`/proc/${p.pid}/environ`, "utf8").split("\0");
      if (env.includes(`CONFAB_DESKTOP_DATA_DIR=${dataDir}`)) return p;
    } catch {
      /* gone */
    }
  }
  return null;
}

function rssKb(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
  } catch {
    return 0;
  }
}

/** Proportional set size: shared pages (WebKit's libraries, fonts) split between the processes
 * mapping them, so the sum over processes does not count them twice as VmRSS sums do. */
function pssKb(pid) {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))[1]);
  } catch {
    return 0;
  }
}

/** VmRSS of the app and of every process below it (WebKit's web and network processes). */
function memory(pid) {
  const all = procs();
  const tree = [];
  const walk = (p) => {
    for (const c of all.filter((c) => c.ppid === p)) {
      tree.push(c);
      walk(c.pid);
    }
  };
  walk(pid);
  const app = rssKb(pid);
  const children = tree.map((c) => ({ comm: c.comm, kb: rssKb(c.pid), pss: pssKb(c.pid) }));
  return {
    appMb: app / 1024,
    children: children.map((c) => ({ comm: c.comm, mb: c.kb / 1024, pssMb: c.pss / 1024 })),
    totalMb: (app + children.reduce((n, c) => n + c.kb, 0)) / 1024,
    pssMb: (pssKb(pid) + children.reduce((n, c) => n + c.pss, 0)) / 1024,
  };
}

/** Stop the app and wait until its process is gone: the app is single-instance, so the next
 * start would hand over to a still-running one and exit. */
async function stop(app, dataDir) {
  const t = Date.now();
  await app.stop();
  for (let i = 0; i < 50 && appPid(dataDir); i++) await sleep(100);
  const left = appPid(dataDir);
  if (left) {
    // Ending the WebDriver session closes the window; a signed-in app has been seen to stay
    // (reparented) after it. It is this run's own process: end it by its pid.
    console.log(`note: the app (pid ${left.pid}) was still running ${Date.now() - t} ms after the session ended; ending it`);
    process.kill(left.pid, "SIGTERM");
    for (let i = 0; i < 50 && appPid(dataDir); i++) await sleep(100);
    if (appPid(dataDir)) process.kill(left.pid, "SIGKILL");
    for (let i = 0; i < 50 && appPid(dataDir); i++) await sleep(100);
  }
  // Its single-instance name leaves the session bus shortly after the process.
  await sleep(1500);
}

async function seed(url, serverDir, name, dataDir, convs, messages, big) {
  const out = await run(join(BIN, "bench_seed"), [
    "--server", url, "--server-data-dir", serverDir, "--data-dir", dataDir, "--user", name, "--password", `${name}-password-1`,
    "--convs", String(convs), "--messages", String(messages), "--big", String(big),
  ]);
  return JSON.parse(out.trim().split("\n").pop());
}

async function prime(home, dataDir, session) {
  const app = await startApp({ home, env: { CONFAB_DESKTOP_DATA_DIR: dataDir } });
  await app.wd.find("[data-testid=tab-signup]", { timeout: 30000 });
  const s = { server_url: session.server_url, user_id: session.user_id, user_sig: session.user_sig, sdk_app_id: session.sdk_app_id };
  await app.wd.exec("localStorage.setItem('confab.session', arguments[0]);", JSON.stringify(s));
  await sleep(2000); // WebKit writes local storage to disk on a timer
  await stop(app, dataDir);
}

/** One measured start: launch → conversation list marker. */
async function launch(home, dataDir, expectConvs) {
  const t0 = Date.now();
  const app = await startApp({ home, env: { CONFAB_DESKTOP_DATA_DIR: dataDir } });
  const sessionAt = Date.now();
  const at = await app.wd.until("the conversation list", async () => Number(await app.wd.exec("return document.documentElement.dataset.convListAt || 0")), 60000);
  const p = appPid(dataDir);
  if (!p) throw new Error("app process not found");
  // The process's start, from its age (uptime - start ticks), on the same clock as `at`.
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  const procStartMs = Date.now() - (uptime - p.start / CLK_TCK) * 1000;
  const rows = await app.wd.until("every conversation in the list", async () => {
    const n = Number(await app.wd.exec("return document.querySelector('[data-testid=conv-list]')?.dataset.count ?? 0"));
    return n >= expectConvs ? n : 0;
  }, 60000);
  // The list renders only the rows in view; how many are in the DOM:
  const domRows = await app.wd.exec("return document.querySelectorAll('[data-testid=conv-list] > li.conv-item').length");
  return { app, pid: p.pid, launchMs: at - t0, fromProcessMs: at - procStartMs, sessionMs: sessionAt - t0, rows, domRows };
}

/** Open `convId` and scroll up until `want` of its `total` messages have been loaded. The chat
 * may render only the rows in view, so progress is read from the seeded texts ("#<index> ...",
 * index 0 the oldest): the oldest index reached. */
async function scroll(app, convId, total, want) {
  const { wd } = app;
  const row = await wd.find(`[data-testid=conv-${convId}]`).catch(async (e) => {
    console.log("screenshot:", await shot(wd, "bench-no-row"));
    throw e;
  });
  await row.click();
  await wd.find("[data-testid=msg-row]", { timeout: 30000 }).catch(async (e) => {
    console.log("screenshot:", await shot(wd, "bench-scroll-failed"));
    throw e;
  });
  const probe = `
    const rows = [...document.querySelectorAll('[data-testid=msg-row]')];
    let el = rows[0];
    while (el && !(el.scrollHeight > el.clientHeight + 1 && /(auto|scroll)/.test(getComputedStyle(el).overflowY))) el = el.parentElement;
    if (el) { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }
    let min = Infinity;
    for (const r of rows) { const m = /#(\\d+) /.exec(r.textContent); if (m) min = Math.min(min, Number(m[1])); }
    return [rows.length, min === Infinity ? -1 : min];`;
  const t0 = Date.now();
  let last = -1;
  let lastChange = Date.now();
  let dom = 0;
  for (;;) {
    const [n, oldest] = await wd.exec(probe);
    dom = n;
    const loaded = oldest >= 0 ? total - oldest : 0;
    if (loaded >= want) return { rows: loaded, dom, ms: Date.now() - t0, complete: true };
    if (loaded !== last) {
      last = loaded;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > 20000) {
      return { rows: loaded, dom, ms: Date.now() - t0, complete: false };
    }
    await sleep(30);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => x.toFixed(0);

async function main() {
  const work = mkdtempSync(join(tmpdir(), "confab-bench-"));
  const serverDir = join(work, "server");
  const url = await startServer({ dir: serverDir });
  const sets = {
    base: { dir: join(work, "base-data"), home: join(work, "base-home"), convs: 1, messages: 1, big: 1 },
    big: { dir: join(work, "big-data"), home: join(work, "big-home"), convs: CONVS, messages: MESSAGES, big: BIG },
  };
  for (const [name, s] of Object.entries(sets)) {
    const t = Date.now();
    s.session = await seed(url, serverDir, `bench_${name}`, s.dir, s.convs, s.messages, s.big);
    console.log(`seeded ${name}: ${s.session.conversations} conversations, ${s.session.messages} messages in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    await prime(s.home, s.dir, s.session);
  }
  const results = {};
  for (const [name, s] of Object.entries(sets)) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await launch(s.home, s.dir, s.convs);
      const mem = memory(r.pid);
      runs.push({ ...r, mem });
      console.log(`${name} start ${i + 1}: ${fmt(r.launchMs)} ms from launch request (${fmt(r.fromProcessMs)} ms from process start; WebDriver session ${fmt(r.sessionMs)} ms), ${r.rows} conversations (${r.domRows} rows in the DOM), RSS ${fmt(mem.totalMb)} MB`);
      if (name === "big" && i === RUNS - 1) {
        const sc = await scroll(r.app, "p0000", BIG, Math.min(SCROLL_TO, BIG));
        const after = memory(r.pid);
        results.scroll = { ...sc, mem: after };
        console.log(`scrolled ${sc.rows} messages in ${(sc.ms / 1000).toFixed(1)} s (${sc.dom} message rows in the DOM)${sc.complete ? "" : " (stalled before the target)"}`);
      }
      await stop(r.app, s.dir);
    }
    results[name] = runs;
  }
  const b = results.base, g = results.big;
  const launchBase = median(b.map((r) => r.launchMs)), launchBig = median(g.map((r) => r.launchMs));
  const procBase = median(b.map((r) => r.fromProcessMs)), procBig = median(g.map((r) => r.fromProcessMs));
  const memBase = median(b.map((r) => r.mem.totalMb)), memBig = median(g.map((r) => r.mem.totalMb));
  const sc = results.scroll;
  const lines = [
    "",
    `== Confab desktop start-up and memory (binaries: ${BIN})`,
    `data: ${g[0].rows} conversations, ${sets.big.session.messages} messages (${BIG} in the scrolled conversation); baseline: 1 conversation, 1 message; median of ${RUNS} starts`,
    `launch → conversation list: ${fmt(launchBig)} ms (target < ${TARGET_LAUNCH_MS} ms: ${launchBig < TARGET_LAUNCH_MS ? "met" : "NOT met"}); baseline ${fmt(launchBase)} ms; ratio ${(launchBig / launchBase).toFixed(2)}`,
    `  from the app process's start: ${fmt(procBig)} ms; baseline ${fmt(procBase)} ms; ratio ${(procBig / procBase).toFixed(2)}`,
    `resident memory after the list: ${fmt(memBig)} MB (baseline ${fmt(memBase)} MB, ratio ${(memBig / memBase).toFixed(2)})`,
    `after scrolling ${sc.rows} messages (${(sc.ms / 1000).toFixed(1)} s, ${sc.dom} rows in the DOM${sc.complete ? "" : ", stalled"}): VmRSS app ${fmt(sc.mem.appMb)} MB + ${sc.mem.children.map((c) => `${c.comm} ${fmt(c.mb)} MB`).join(" + ")} = ${fmt(sc.mem.totalMb)} MB (target < ${TARGET_RSS_MB} MB: ${sc.mem.totalMb < TARGET_RSS_MB ? "met" : "NOT met"}); PSS sum ${fmt(sc.mem.pssMb)} MB`,
    `  baseline after the list: VmRSS ${fmt(memBase)} MB, PSS ${fmt(median(b.map((r) => r.mem.pssMb)))} MB; big after the list: PSS ${fmt(median(g.map((r) => r.mem.pssMb)))} MB`,
  ];
  console.log(lines.join("\n"));
  console.log("BENCH_JSON " + JSON.stringify({ launchBig, launchBase, procBig, procBase, memBig, memBase, scroll: { rows: sc.rows, ms: sc.ms, complete: sc.complete, mem: sc.mem } }));
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
