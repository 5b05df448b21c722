// Start-up and memory benchmark of the real desktop app (driven by scripts/bench-desktop.sh,
// which builds everything and runs this under xvfb-run + dbus-run-session).
//
// 1. A real confab-server; two app data dirs seeded through confab-core (`bench_seed`,
//    TIMMsgImportMsgList in the app's data dir layout): "big" (1,000 conversations, 100,000
//    messages, 10,000 of them in one conversation) and the same-run baseline "base" (one
//    conversation, one message).
// 2. For each: one priming start that stores the remembered session in the app's WebKit
//    storage, then measured starts, base and big interleaved: the app is spawned directly (as
//    a person starts it, no WebDriver) and resumes the session against the server. Launch time
//    = from the spawn to the conversation list painted, as the window reports it through
//    `CONFAB_STARTUP_TRACE` (src-tauri `startup_mark`), with the marks on the way (script
//    running, session resumed, list fetched). Memory after the list: the PSS sum of the app
//    and its WebKit processes.
// 3. Big only, in a WebDriver session: open the 10,000-message conversation and scroll up
//    through it (the chat loads older pages as the top is reached), wait for the JavaScript
//    heap to settle, then read the memory of the app process and its WebKit children (web and
//    network processes). The figure is the PSS sum: shared pages (WebKit's libraries, fonts)
//    split between the processes mapping them, where a VmRSS sum counts them once per process.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ROOT, run, shot, sleep, startApp, startServer, tempDir } from "../ui/e2e/harness.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONVS = Number(process.env.BENCH_CONVS ?? 1000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100000);
const BIG = Number(process.env.BENCH_BIG ?? 10000);
const SCROLL_TO = Number(process.env.BENCH_SCROLL ?? 10000);
const TARGET_LAUNCH_MS = 1000;
const TARGET_RSS_MB = 300;
/** Memory is read this long after the scroll ends (the JavaScript heap is collected lazily). */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 10000);
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

/** Where a process's resident memory is, from /proc/<pid>/smaps: PSS per mapping kind (anonymous
 * memory, the heap, each shared library or file, shared-memory and GPU buffers), largest first. */
function breakdown(pid, top = 10) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, "utf8");
  } catch {
    return [];
  }
  const by = new Map();
  let name = "";
  for (const line of text.split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      name = head[1] || "[anon]";
      name = name.replace(/^\/(usr\/)?lib\/x86_64-linux-gnu\//, "").replace(/ \(deleted\)$/, "");
      if (/^\/memfd:|^\/dev\/shm|^\/SYSV/.test(name)) name = "[shared memory]";
      continue;
    }
    const m = /^Pss:\s+(\d+)/.exec(line);
    if (m) by.set(name, (by.get(name) ?? 0) + Number(m[1]));
  }
  return [...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([n, kb]) => `${n} ${(kb / 1024).toFixed(1)}`);
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
  const children = tree.map((c) => ({ comm: c.comm, pid: c.pid, kb: rssKb(c.pid), pss: pssKb(c.pid) }));
  return {
    appMb: app / 1024,
    appPssMb: pssKb(pid) / 1024,
    children: children.map((c) => ({ comm: c.comm, pid: c.pid, mb: c.kb / 1024, pssMb: c.pss / 1024 })),
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
  // The shell keeps the session in its data dir (the webview never holds the UserSig).
  const s = { server_url: session.server_url, user_id: session.user_id, user_sig: session.user_sig, sdk_app_id: session.sdk_app_id };
  writeFileSync(join(dataDir, "session.json"), JSON.stringify(s), { mode: 0o600 });
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
  // The page's own timeline (ui/src marks), on the same clock: page navigation start, the
  // script running, the session resumed (SDK init + login), the list fetched.
  const [origin, marks] = await app.wd.exec("return [performance.timeOrigin, performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])]");
  const timeline = { page: origin - procStartMs };
  for (const [n, ms] of marks) timeline[n.replace(/^confab:/, "")] = origin + ms - procStartMs;
  timeline.shown = at - procStartMs;
  const rows = await app.wd.until("every conversation in the list", async () => {
    const n = Number(await app.wd.exec("return document.querySelector('[data-testid=conv-list]')?.dataset.count ?? 0"));
    return n >= expectConvs ? n : 0;
  }, 60000);
  // The list renders only the rows in view; how many are in the DOM:
  const domRows = await app.wd.exec("return document.querySelectorAll('[data-testid=conv-list] > li.conv-item').length");
  return { app, pid: p.pid, launchMs: at - t0, fromProcessMs: at - procStartMs, sessionMs: sessionAt - t0, rows, domRows, timeline };
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

/** One launch without WebDriver (whose automation handshake holds the first page load back by
 * up to half a second): the app started as a person starts it, timed from the spawn to the
 * window's own marks (`CONFAB_STARTUP_TRACE`, see src-tauri commands::startup_mark): the script
 * running, the session resumed, the list fetched, and the list painted. */
async function launchDirect(home, dataDir) {
  const app = process.env.CONFAB_DESKTOP_BIN ?? join(BIN, "confab-desktop");
  const trace = join(home, `startup-${Date.now()}.txt`);
  for (const d of ["data", "config", "cache"]) mkdirSync(join(home, d), { recursive: true });
  const env = {
    ...process.env,
    XDG_DATA_HOME: join(home, "data"),
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_CACHE_HOME: join(home, "cache"),
    LANG: "en_US.UTF-8",
    CONFAB_DESKTOP_DATA_DIR: dataDir,
    CONFAB_STARTUP_TRACE: trace,
  };
  const t0 = Date.now();
  const p = spawn(app, [], { env, stdio: ["ignore", "ignore", "ignore"] });
  const marks = {};
  try {
    for (;;) {
      if (p.exitCode !== null) throw new Error(`the app exited (${p.exitCode}) before showing the list`);
      if (Date.now() - t0 > 60000) throw new Error("the list was not shown within 60 s");
      if (existsSync(trace)) {
        for (const l of readFileSync(trace, "utf8").split("\n")) {
          const [n, ms] = l.split(" ");
          if (n && ms) marks[n] = Number(ms) - t0;
        }
        if (marks["conv-list-shown"] !== undefined) break;
      }
      await sleep(5);
    }
    const mem = memory(p.pid);
    return { launchMs: marks["conv-list-shown"], marks, mem };
  } finally {
    p.kill("SIGTERM");
    for (let i = 0; i < 50 && p.exitCode === null && p.signalCode === null; i++) await sleep(100);
    if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    // Its single-instance name leaves the session bus shortly after the process.
    await sleep(1000);
  }
}

async function main() {
  const work = tempDir("bench");
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
  // Launch time: base and big starts interleaved, so both see the same machine.
  const results = { base: [], big: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const [name, s] of Object.entries(sets)) {
      const r = await launchDirect(s.home, s.dir);
      results[name].push(r);
      const tl = Object.entries(r.marks).map(([k, v]) => `${k} ${fmt(v)}`).join(", ");
      console.log(`${name} start ${i + 1}: ${fmt(r.launchMs)} ms to the painted list (${tl}); VmRSS ${fmt(r.mem.totalMb)} MB, PSS ${fmt(r.mem.pssMb)} MB`);
    }
  }
  // Memory: the big data set in a WebDriver session, scrolled up through one conversation.
  const s = sets.big;
  const r = await launch(s.home, s.dir, s.session.conversations);
  console.log(`big start under WebDriver: ${fmt(r.launchMs)} ms from the launch request (${fmt(r.fromProcessMs)} ms from the process start), ${r.rows} conversations (${r.domRows} rows in the DOM)`);
  const sc = await scroll(r.app, "p0000", BIG, Math.min(SCROLL_TO, BIG));
  const peak = memory(r.pid);
  console.log(`scrolled ${sc.rows} messages in ${(sc.ms / 1000).toFixed(1)} s (${sc.dom} message rows in the DOM)${sc.complete ? "" : " (stalled before the target)"}; right after: PSS ${fmt(peak.pssMb)} MB; settling ${SETTLE_MS} ms`);
  await sleep(SETTLE_MS);
  const after = memory(r.pid);
  console.log(`PSS by mapping (MB), app: ${breakdown(r.pid).join(", ")}`);
  for (const c of after.children) console.log(`PSS by mapping (MB), ${c.comm}: ${breakdown(c.pid).join(", ")}`);
  await stop(r.app, s.dir);

  const b = results.base, g = results.big;
  const launchBase = median(b.map((r) => r.launchMs)), launchBig = median(g.map((r) => r.launchMs));
  const pssBase = median(b.map((r) => r.mem.pssMb)), pssBig = median(g.map((r) => r.mem.pssMb));
  const rssBase = median(b.map((r) => r.mem.totalMb)), rssBig = median(g.map((r) => r.mem.totalMb));
  const lines = [
    "",
    `== Confab desktop start-up and memory (binaries: ${BIN})`,
    `data: ${s.session.conversations} conversations, ${s.session.messages} messages (${BIG} in the scrolled conversation); baseline: 1 conversation, 1 message; median of ${RUNS} starts each, interleaved`,
    `launch → conversation list painted: ${fmt(launchBig)} ms (target < ${TARGET_LAUNCH_MS} ms: ${launchBig < TARGET_LAUNCH_MS ? "met" : "NOT met"}); baseline ${fmt(launchBase)} ms; ratio ${(launchBig / launchBase).toFixed(2)}`,
    `memory after the list (PSS, app + WebKit processes): ${fmt(pssBig)} MB; baseline ${fmt(pssBase)} MB; ratio ${(pssBig / pssBase).toFixed(2)} (VmRSS sums ${fmt(rssBig)} / ${fmt(rssBase)} MB)`,
    `memory after scrolling ${sc.rows} messages (${(sc.ms / 1000).toFixed(1)} s, ${sc.dom} rows in the DOM${sc.complete ? "" : ", stalled"}), ${SETTLE_MS / 1000} s later: PSS ${fmt(after.pssMb)} MB (target < ${TARGET_RSS_MB} MB: ${after.pssMb < TARGET_RSS_MB ? "met" : "NOT met"}); ratio to the baseline after its list ${(after.pssMb / pssBase).toFixed(2)}; right after the scroll ${fmt(peak.pssMb)} MB`,
    `  per process (VmRSS / PSS MB): app ${fmt(after.appMb)} / ${fmt(after.appPssMb)}, ${after.children.map((c) => `${c.comm} ${fmt(c.mb)} / ${fmt(c.pssMb)}`).join(", ")}; VmRSS sum ${fmt(after.totalMb)} MB (counts the shared WebKit libraries once per process)`,
  ];
  console.log(lines.join("\n"));
  console.log("BENCH_JSON " + JSON.stringify({ launchBig, launchBase, pssBig, pssBase, rssBig, rssBase, scroll: { rows: sc.rows, ms: sc.ms, complete: sc.complete, peakPssMb: peak.pssMb, mem: after } }));
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
