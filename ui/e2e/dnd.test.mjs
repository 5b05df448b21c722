// A real drag-and-drop of files onto the desktop app. WebDriver cannot make an OS drop, but under
// Xvfb a real X11 drag can be made: a tiny GTK3 drag source (dnd_source.py) offers the files as
// `text/uri-list`, as a file manager does, and xdotool moves the pointer with the button held from
// it onto the app's window. GTK speaks XDND between the two windows; the app gets Tauri's
// drag-drop events, shows its drop hint, and sends each dropped file. bob is played by confab-cli.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { deflateSync } from "node:zlib";
import { cleanup, tempDir, run, shot, sleep, startServer, signedUpPeers, startSignedUp, startChat, pngChunk } from "./harness.mjs";

// The system Python has GTK's introspection bindings (python3-gi); a Python first on PATH (pyenv,
// a venv) may not.
const PYTHON = process.env.CONFAB_E2E_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
const SOURCE = join(import.meta.dirname, "dnd_source.py");

let url, bob, app, wd, dir;

// ---- a small PNG ------------------------------------------------------------------------

/** An RGB PNG of w x h: diagonal stripes, so the thumbnail is recognisable in a screenshot. */
function stripes(w, h) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * (w * 3 + 1) + 1 + x * 3;
      const on = Math.floor((x + y) / 24) % 2 === 0;
      raw[i] = on ? 230 : 40;
      raw[i + 1] = on ? 120 : 90;
      raw[i + 2] = on ? 30 : 200;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

// ---- the drag ---------------------------------------------------------------------------

const xdo = (...args) => run("xdotool", args.map(String));

/** The drag source window at (x, y) offering `files`; resolves once it is on the screen, with
 * its screen rectangle. */
function startSource(x, y, files) {
  const p = spawn(PYTHON, [SOURCE, String(x), String(y), ...files], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = [];
  const ready = new Promise((ok, err) => {
    const t = setTimeout(() => err(new Error("the drag source did not start")), 15000);
    createInterface({ input: p.stdout }).on("line", (l) => {
      lines.push(l);
      const m = /^ready (-?\d+) (-?\d+) (\d+) (\d+)$/.exec(l);
      if (m) {
        clearTimeout(t);
        ok({ x: +m[1], y: +m[2], width: +m[3], height: +m[4] });
      }
    });
    p.on("exit", (c) => err(new Error(`the drag source exited ${c}`)));
  });
  return { ready, lines, stop: () => p.exitCode === null && p.kill("SIGTERM") };
}

/** Screen coordinates of the middle of the element matching `sel` in the app's window. */
async function screenPoint(sel) {
  const win = await wd.rect();
  const [x, y, w, h] = await wd.exec(
    "const b = document.querySelector(arguments[0]).getBoundingClientRect(); return [b.left, b.top, b.width, b.height]",
    sel,
  );
  return { x: Math.round(win.x + x + w / 2), y: Math.round(win.y + y + h / 2) };
}

/** Press on `from`, move past GTK's drag threshold, travel to `to` in steps, hover there a
 * little (XdndPosition), run `whileOver` with the button still held, then release. */
async function drag(from, to, whileOver) {
  await xdo("mousemove", from.x, from.y);
  await sleep(100);
  await xdo("mousedown", 1);
  try {
    await sleep(100);
    for (let i = 1; i <= 6; i++) {
      await xdo("mousemove", from.x - i * 4, from.y + i);
      await sleep(50);
    }
    const sx = from.x - 24, sy = from.y + 6;
    for (let i = 1; i <= 10; i++) {
      await xdo("mousemove", Math.round(sx + ((to.x - sx) * i) / 10), Math.round(sy + ((to.y - sy) * i) / 10));
      await sleep(50);
    }
    for (let i = 1; i <= 4; i++) {
      await xdo("mousemove", to.x + i * 3, to.y + i * 2);
      await sleep(80);
    }
    if (whileOver) await whileOver();
  } finally {
    await xdo("mouseup", 1);
  }
}

/** Drag `file` from a fresh source window beside the app onto the chat's message area. */
async function dropFile(file, whileOver) {
  const win = await wd.rect();
  const src = startSource(win.x + win.width + 10, 120, [file]);
  try {
    const r = await src.ready;
    const from = { x: r.x + Math.round(r.width / 2), y: r.y + Math.round(r.height / 2) };
    await drag(from, await screenPoint("[data-testid=messages]"), async () => {
      // Release only once the app shows it sees the drag over its window (its drop hint): a
      // release before GTK has delivered the last positions can miss the target.
      await wd.until("the app to see the drag", async () => (await wd.count("[data-testid=drop-overlay]")) > 0, 5000);
      if (whileOver) await whileOver();
    });
    // The source ends the drag once the drop is done (it must stay up until then: stopped right
    // after the release, it may never turn the release into a drop, and the target keeps its
    // hint); the target asked it for the data on the way.
    for (let i = 0; i < 50 && !src.lines.includes("end"); i++) await sleep(100);
    assert.ok(src.lines.includes("end"), `the drag ended (source said ${JSON.stringify(src.lines)})`);
    assert.ok(!src.lines.some((l) => l.startsWith("failed")), `the drop was taken (source said ${JSON.stringify(src.lines)})`);
    assert.ok(src.lines.some((l) => l.startsWith("sent")), `the app asked for the dropped data (source said ${JSON.stringify(src.lines)})`);
  } finally {
    src.stop();
  }
}

function recvWith(peer, elemType, pred = () => true) {
  const has = (m) => m.message_elem_array.some((x) => x.elem_type === elemType && pred(x));
  return peer
    .waitEvent((e) => e.event === "TIMRecvNewMsgCallback" && e.json.some(has), 30000)
    .then((e) => e.json.find(has).message_elem_array.find((x) => x.elem_type === elemType && pred(x)));
}

// ---- setup ------------------------------------------------------------------------------

// CONFAB_E2E_DND=0 skips these (e.g. on a display without XTest).
const DND = process.env.CONFAB_E2E_DND === "0" ? "CONFAB_E2E_DND=0" : false;

before(async () => {
  if (DND) return;
  dir = tempDir("dnd");
  url = await startServer();
  [bob] = await signedUpPeers(url, "bob");
  app = await startSignedUp(url, "alice");
  wd = app.wd;
  // Room on the 1280-wide screen for the source window right of the app (there is no window
  // manager under Xvfb: windows stay where they are put and may not overlap by accident).
  const win = await wd.rect();
  if (win.x + win.width > 1100) await wd.cmd("POST", "/window/rect", { x: 0, y: 0, width: 1000, height: win.height });
  await startChat(wd, "bob");
});

after(async () => {
  await app?.stop();
  cleanup();
});

// ---- tests ------------------------------------------------------------------------------

test("drag a PNG from another window onto the chat: the drop hint shows, bob gets an image", { skip: DND }, async () => {
  const path = join(dir, "stripes.png");
  const bytes = stripes(480, 320);
  writeFileSync(path, bytes);
  let hinted = false;
  await dropFile(path, async () => {
    // Mid-drag (button still held over the window) the composer shows its drop hint.
    await wd.until("the drop hint while dragging", async () => (await wd.count("[data-testid=drop-overlay]")) > 0, 5000);
    hinted = true;
    await shot(wd, "dnd-01-dragging");
  });
  assert.ok(hinted);
  await wd.until("the drop hint to go", async () => (await wd.count("[data-testid=drop-overlay]")) === 0, 5000);

  const img = await recvWith(bob, 1);
  assert.equal(img.image_elem_orig_pic_width, 480);
  assert.equal(img.image_elem_orig_pic_height, 320);
  assert.equal(img.image_elem_orig_pic_size, bytes.length);
  assert.equal(img.image_elem_format, 3, "PNG");
  const sel = ".row.self [data-testid=image-thumb] img";
  await wd.until("the image bubble to load", async () => wd.exec("const i = document.querySelector(arguments[0]); return !!i && i.complete && i.naturalWidth > 0", sel), 20000);
  await sleep(300);
  await shot(wd, "dnd-02-image-dropped");
});

test("drag a text file onto the chat: bob gets a file message with its name and size", { skip: DND }, async () => {
  const path = join(dir, "meeting notes.txt");
  const text = "Agenda\n1. Drag and drop\n2. Lunch\n";
  writeFileSync(path, text);
  await dropFile(path);
  const f = await recvWith(bob, 4, (x) => x.file_elem_file_name === "meeting notes.txt");
  assert.equal(f.file_elem_file_size, Buffer.byteLength(text));
  await wd.find(".row.self[data-state=sent] [data-testid=file-card] [data-testid=file-name]", { text: "meeting notes.txt", timeout: 20000 });
  assert.equal(await wd.count("[data-testid=drop-overlay]"), 0);
  await sleep(300);
  await shot(wd, "dnd-03-file-dropped");
});
