// Media in the real desktop app against a real server; bob is played by confab-cli.
// Native pick/save dialogs cannot be driven by WebDriver: CONFAB_E2E_PICK (a file whose lines
// are the paths the next pick returns) and CONFAB_E2E_SAVE_DIR (where "save as" writes) stand in
// for the person clicking in them. Everything else (sending, uploading, downloading, the asset
// protocol, the viewer, playing) is the real path.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { cleanup, tempDir, shot, sleep, startServer, signedUpPeers, startSignedUp, startChat, pngChunk } from "./harness.mjs";

let url, bob, app, wd, dir, pickFile, saveDir;

// ---- test files -------------------------------------------------------------------------

/** An RGB PNG: a colour gradient with a little noise (so the original is a few MB). */
function png(w, h, noise) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  const rnd = randomBytes(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < w; x++) {
      const i = row + 1 + x * 3;
      const n = noise ? rnd[y * w + x] % noise : 0;
      raw[i] = Math.min(255, Math.floor((x / w) * 200) + n);
      raw[i + 1] = Math.min(255, Math.floor((y / h) * 180) + 40 + n);
      raw[i + 2] = Math.min(255, 160 - Math.floor((x / w) * 100) + n);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}
/** A mono 16-bit PCM WAV: a 440 Hz tone, `seconds` long. */
function wav(seconds, rate = 8000) {
  const n = seconds * rate;
  const b = Buffer.alloc(44 + n * 2);
  b.write("RIFF", 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write("WAVEfmt ", 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write("data", 36);
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), 44 + i * 2);
  return b;
}
const sha = (buf) => createHash("sha256").update(buf).digest("hex");

// ---- helpers ----------------------------------------------------------------------------

/** Press a key on whatever has the focus (WebDriver actions). */
async function press(key) {
  await wd.cmd("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions: [{ type: "keyDown", value: key }, { type: "keyUp", value: key }] }] });
}
const ESCAPE = "\uE00C";

/** Record, in the page, every aria-valuenow shown by elements matching `sel` from now on. */
async function watchProgress(name, sel) {
  await wd.exec(
    `const [name, sel] = arguments; window.__seen = window.__seen || {}; const seen = window.__seen[name] = [];
     const look = () => document.querySelectorAll(sel).forEach((p) => { const v = Number(p.getAttribute('aria-valuenow') ?? p.value); if (seen[seen.length - 1] !== v) seen.push(v); });
     new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow', 'value'] });`,
    name, sel,
  );
}
const seen = (name) => wd.exec("return (window.__seen || {})[arguments[0]] || []", name);

function pick(...paths) {
  writeFileSync(pickFile, paths.join("\n") + "\n");
}

async function imageLoaded(sel) {
  await wd.until(`${sel} to load`, async () => wd.exec(`const i = document.querySelector(arguments[0]); return !!i && i.complete && i.naturalWidth > 0`, sel), 20000);
  return wd.exec(`const i = document.querySelector(arguments[0]); return [i.naturalWidth, i.naturalHeight]`, sel);
}

function recvWith(peer, elemType, pred = () => true) {
  return peer.waitEvent((e) => e.event === "TIMRecvNewMsgCallback" && e.json.some((m) => m.message_elem_array.some((x) => x.elem_type === elemType && pred(x))), 30000)
    .then((e) => e.json.find((m) => m.message_elem_array.some((x) => x.elem_type === elemType && pred(x))));
}

// ---- setup ------------------------------------------------------------------------------

before(async () => {
  dir = tempDir("media");
  pickFile = join(dir, "pick.txt");
  saveDir = join(dir, "saved");
  mkdirSync(saveDir);
  writeFileSync(pickFile, "");
  process.env.CONFAB_E2E_PICK = pickFile;
  process.env.CONFAB_E2E_SAVE_DIR = saveDir;
  // No sound card under Xvfb: GStreamer's silent audio sink stands in for one (it plays in real
  // time), so <audio> really decodes and plays the voice note.
  process.env.GST_PLUGIN_FEATURE_RANK = "fakeaudiosink:MAX";
  // And no microphone: a sound server that is not there (voice.test.mjs records from one).
  process.env.PULSE_SERVER = `unix:${join(dir, "no-such-pulse-server")}`;
  url = await startServer();
  [bob] = await signedUpPeers(url, "bob");
  app = await startSignedUp(url, "alice");
  wd = app.wd;
  await startChat(wd, "bob");
});

after(async () => {
  await app?.stop();
  cleanup();
});

// ---- tests ------------------------------------------------------------------------------

test("send an image: thumbnail in the bubble, viewer with the large tier, zoom, view original with progress", async () => {
  const photo = join(dir, "photo.png");
  const bytes = png(1600, 1200, 60);
  writeFileSync(photo, bytes);
  await watchProgress("image-upload", ".row.self [data-testid=upload-progress] [role=progressbar]");
  pick(photo);
  await (await wd.find("[data-testid=pick-image]")).click();
  const got = await recvWith(bob, 1);
  const up = await seen("image-upload");
  console.log(`image upload progress shown: ${JSON.stringify(up)}`);
  assert.ok(up.some((v) => v > 0), `the sending bubble showed upload progress (saw ${JSON.stringify(up)})`);
  const im = got.message_elem_array[0];
  assert.equal(im.image_elem_orig_pic_width, 1600);
  assert.equal(im.image_elem_large_pic_width, 960, "large tier: shorter side 720");
  const [tw, th] = await imageLoaded(".row.self [data-testid=image-thumb] img");
  assert.deepEqual([tw, th], [im.image_elem_thumb_pic_width, im.image_elem_thumb_pic_height], "the bubble shows the thumbnail tier");
  // The box is reserved from the tier's dimensions (4:3 fitted in 240).
  const box = await wd.exec("const b = document.querySelector('.row.self [data-testid=image-thumb]').getBoundingClientRect(); return [Math.round(b.width), Math.round(b.height)]");
  assert.deepEqual(box, [240, 180]);
  await sleep(500);
  await shot(wd, "media-01-image-sent");

  await (await wd.find(".row.self [data-testid=image-thumb]")).click();
  await wd.find("[data-testid=image-viewer]");
  const [lw] = await imageLoaded("[data-testid=viewer-image]");
  assert.equal(lw, 960, "the viewer opens the large tier at once");
  await (await wd.find("[data-testid=zoom-in]")).click();
  await wd.find("[data-testid=viewer-zoom]", { text: "125%" });
  const viewOrig = await wd.find("[data-testid=view-original]");
  assert.match(await viewOrig.text(), /View original \(\d+(\.\d)? MB\)/);
  await sleep(300);
  await shot(wd, "media-02-viewer-large");
  await watchProgress("orig", "[data-testid=original-progress]");
  await viewOrig.click();
  await wd.until("the original in the viewer", async () => (await wd.exec("return document.querySelector('[data-testid=viewer-image]')?.dataset.tier")) === "orig", 30000);
  const [ow] = await imageLoaded("[data-testid=viewer-image]");
  assert.equal(ow, 1600);
  const steps = await seen("orig");
  console.log(`original download progress shown: ${JSON.stringify(steps)}`);
  assert.ok(steps.some((v) => v > 0 && v < 100), `the original's download showed progress (saw ${JSON.stringify(steps)})`);
  await sleep(300);
  await shot(wd, "media-03-viewer-original");
  // Save as: the shell copies the cached original where the (stand-in) dialog said.
  await (await wd.find("[data-testid=viewer-save]")).click();
  await wd.until("the saved original", async () => existsSync(join(saveDir, "image.png")));
  await wd.until("the whole file", async () => sha(readFileSync(join(saveDir, "image.png"))) === sha(bytes));
  await wd.exec("document.querySelector('[data-testid=image-viewer]').focus()");
  await press(ESCAPE);
  await wd.until("the viewer to close", async () => (await wd.count("[data-testid=image-viewer]")) === 0);
});

test("receive an image from bob", async () => {
  const pic = join(dir, "bob-pic.png");
  writeFileSync(pic, png(300, 200, 0));
  await bob.call("TIMMsgSendMessage", {
    conv_id: "alice", conv_type: 1,
    json_msg_param: { message_elem_array: [{ elem_type: 1, image_elem_orig_path: pic }] },
  });
  const [w, h] = await imageLoaded(".row:not(.self) [data-testid=image-thumb] img");
  assert.deepEqual([w, h], [297, 198], "thumbnail tier: shorter side 198");
  await sleep(400);
  await shot(wd, "media-04-image-received");
});

test("send a file with upload progress; bob receives the same bytes", async () => {
  const path = join(dir, "quarterly report.bin");
  const bytes = randomBytes(40 * 1024 * 1024);
  writeFileSync(path, bytes);
  await watchProgress("upload", ".row.self [data-testid=file-card] [data-testid=file-progress]");
  pick(path);
  await (await wd.find("[data-testid=pick-file]")).click();
  await wd.find(".row.self [data-testid=file-card][data-state=uploading]", { timeout: 10000 });
  await sleep(200);
  await shot(wd, "media-05-file-uploading");
  const got = await recvWith(bob, 4, (x) => x.file_elem_file_name === "quarterly report.bin");
  const f = got.message_elem_array[0];
  assert.equal(f.file_elem_file_size, bytes.length);
  await wd.find(".row.self[data-state=sent] [data-testid=file-name]", { text: "quarterly report.bin", timeout: 20000 });
  const up = await seen("upload");
  console.log(`upload progress shown: ${JSON.stringify(up)}`);
  assert.ok(up.some((v) => v > 0 && v < 100), `upload progress was shown (saw ${JSON.stringify(up)})`);
  await bob.call("TIMMsgDownloadElemToPath", {
    json_download_elem_param: { msg_download_elem_param_id: f.file_elem_file_id, msg_download_elem_param_url: f.file_elem_url, msg_download_elem_param_type: 2 },
    path: "report-copy.bin",
  });
  assert.equal(sha(readFileSync(join(bob.dir, "downloads", "report-copy.bin"))), sha(bytes), "bob got the same bytes");
  await sleep(300);
  await shot(wd, "media-06-file-sent");
});

test("receive a file from bob and download it with progress, then save it", async () => {
  const path = join(dir, "dataset.bin");
  const bytes = randomBytes(30 * 1024 * 1024);
  writeFileSync(path, bytes);
  await bob.call("TIMMsgSendMessage", {
    conv_id: "alice", conv_type: 1,
    json_msg_param: { message_elem_array: [{ elem_type: 4, file_elem_file_path: path, file_elem_file_name: "dataset.bin" }] },
  });
  const card = ".row:not(.self) [data-testid=file-card]";
  await wd.find(`${card} [data-testid=file-name]`, { text: "dataset.bin", timeout: 20000 });
  assert.match(await (await wd.find(`${card} .file-size`)).text(), /^30 MB$/);
  await watchProgress("download", `${card} [data-testid=file-progress]`);
  await (await wd.find(`${card} [data-testid=file-download]`)).click();
  await wd.find(`${card}[data-state=done]`, { timeout: 30000 });
  const steps = await seen("download");
  console.log(`download progress shown: ${JSON.stringify(steps)}`);
  assert.ok(steps.some((v) => v > 0 && v < 100), `intermediate download progress was shown (saw ${JSON.stringify(steps)})`);
  const events = Number(await wd.exec(`return document.querySelector(arguments[0]).dataset.progressEvents`, card));
  assert.ok(events > 1, `progress events reached the window (${events})`);
  await (await wd.find(`${card} [data-testid=file-save]`)).click();
  await wd.find(`${card} [data-testid=file-saved]`);
  assert.equal(sha(readFileSync(join(saveDir, "dataset.bin"))), sha(bytes), "the saved file holds bob's bytes");
  await sleep(300);
  await shot(wd, "media-07-file-downloaded");
});

test("a received program does not start with one click: the window warns first", async () => {
  const path = join(dir, "invoice.pdf.exe");
  writeFileSync(path, randomBytes(4096));
  await bob.call("TIMMsgSendMessage", {
    conv_id: "alice", conv_type: 1,
    json_msg_param: { message_elem_array: [{ elem_type: 4, file_elem_file_path: path, file_elem_file_name: "invoice.pdf.exe" }] },
  });
  await wd.find(".row:not(.self) [data-testid=file-name]", { text: "invoice.pdf.exe", timeout: 20000 });
  await wd.exec(`const n = [...document.querySelectorAll("[data-testid=file-name]")].find((e) => e.textContent === "invoice.pdf.exe");
    n.closest("[data-testid=file-card]").setAttribute("data-e2e", "program"); return true`);
  const card = "[data-e2e=program]";
  await (await wd.find(`${card} [data-testid=file-download]`)).click();
  await wd.find(`${card}[data-state=done]`, { timeout: 30000 });
  await (await wd.find(`${card} [data-testid=file-open]`)).click();
  const warning = await wd.find(`${card} [data-testid=file-risky]`);
  assert.match(await warning.text(), /invoice\.pdf\.exe.*can run programs/);
  await sleep(300);
  await shot(wd, "media-07b-program-warning");
  await (await wd.find(`${card} [data-testid=file-risky] button:last-child`)).click();
  await wd.until("the warning closes", async () => (await wd.count(`${card} [data-testid=file-risky]`)) === 0);
});

test("voice: duration, unplayed dot, play clears it for good; recording without a microphone says so", async () => {
  const path = join(dir, "note.wav");
  writeFileSync(path, wav(3));
  await bob.call("TIMMsgSendMessage", {
    conv_id: "alice", conv_type: 1,
    json_msg_param: { message_elem_array: [{ elem_type: 2, sound_elem_file_path: path, sound_elem_file_time: 3 }] },
  });
  const voice = ".row:not(.self) [data-testid=voice]";
  await wd.find(`${voice} [data-testid=voice-duration]`, { text: "0:03", timeout: 20000 });
  await wd.find(`${voice} [data-testid=voice-unplayed]`);
  await sleep(300);
  await shot(wd, "media-08-voice-unplayed");
  await (await wd.find(`${voice} [data-testid=voice-play]`)).click();
  await wd.until("the dot to go", async () => (await wd.count(`${voice} [data-testid=voice-unplayed]`)) === 0);
  await wd.until("the note to play", async () => (await wd.exec(`return document.querySelector(arguments[0]).dataset.playing`, voice)) === "true", 30000)
    .catch(async (e) => {
      const why = await wd.exec(`const v = document.querySelector(arguments[0]); const a = v.querySelector('audio');
        return JSON.stringify({ html: v.outerHTML, src: a?.src, err: a?.error?.code, msg: a?.error?.message, net: a?.networkState, ready: a?.readyState })`, voice);
      throw new Error(`${e.message}: ${why}`);
    });
  await sleep(300);
  // Really playing: the decoded note is 3 s long and its clock runs.
  await wd.until("the playback clock to run", async () => (await wd.exec(`return document.querySelector(arguments[0] + ' audio').currentTime`, voice)) > 0.2, 10000);
  assert.equal(Math.round(await wd.exec(`return document.querySelector(arguments[0] + ' audio').duration`, voice)), 3);
  await shot(wd, "media-09-voice-playing");
  await wd.until("the note to end", async () => (await wd.exec(`return document.querySelector(arguments[0]).dataset.playing`, voice)) === "false", 15000);

  // Reopen the chat: the played mark was kept (TIMMsgSetLocalCustomData).
  await (await wd.find("[data-testid=new-chat]")).click();
  await (await wd.find("input[name=peer]")).type("carol");
  await (await wd.find("[data-testid=start-chat]")).click();
  await wd.find("[data-testid=chat-title]", { text: "carol" });
  await (await wd.find("[data-testid=conv-bob]")).click();
  await wd.find("[data-testid=chat-title]", { text: "bob" });
  await wd.find(`${voice} [data-testid=voice-duration]`, { text: "0:03" });
  await sleep(500);
  assert.equal(await wd.count(`${voice} [data-testid=voice-unplayed]`), 0, "still played after reopening");

  // Xvfb has no microphone: recording says so clearly instead of failing silently.
  await (await wd.find("[data-testid=record-voice]")).click();
  const notice = await wd.find("[data-testid=composer-notice]");
  assert.match(await notice.text(), /microphone/i);
  await sleep(300);
  await shot(wd, "media-10-no-microphone");
});

test("video, location, custom and merged messages from bob", async () => {
  const video = join(dir, "clip.webm");
  const { execFileSync } = await import("node:child_process");
  execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=15", "-c:v", "libvpx", "-b:v", "300k", video]);
  // Only the video is given: bob's SDK takes its first frame as the snapshot and its duration.
  await bob.call("TIMMsgSendMessage", {
    conv_id: "alice", conv_type: 1,
    json_msg_param: { message_elem_array: [{ elem_type: 9, video_elem_video_path: video }] },
  });
  const v = ".row:not(.self) [data-testid=video]";
  const [sw, shh] = await imageLoaded(`${v} [data-testid=video-thumb] img`);
  assert.deepEqual([sw, shh], [320, 240], "the snapshot is shown");
  await wd.find(`${v} .video-duration`, { text: "0:02" });
  await (await wd.find(`${v} [data-testid=video-thumb]`)).click();
  await wd.find(`${v} [data-testid=video-player]`, { timeout: 20000 });
  await wd.until("the video to play", async () => (await wd.exec(`return document.querySelector(arguments[0]).currentTime`, `${v} [data-testid=video-player]`)) > 0.2, 20000)
    .catch(async (e) => {
      const why = await wd.exec(`const a = document.querySelector(arguments[0]);
        return JSON.stringify({ src: a?.src, err: a?.error?.code, msg: a?.error?.message, net: a?.networkState, ready: a?.readyState, t: a?.currentTime, d: a?.duration, paused: a?.paused })`, `${v} [data-testid=video-player]`);
      throw new Error(`${e.message}: ${why}`);
    });

  await bob.call("TIMMsgSendMessage", {
    conv_id: "alice", conv_type: 1,
    json_msg_param: { message_elem_array: [{ elem_type: 7, location_elem_desc: "Tiananmen Square", location_elem_latitude: 39.9055, location_elem_longitude: 116.3976 }] },
  });
  await wd.find("[data-testid=location]", { text: "Tiananmen Square", timeout: 20000 });
  await wd.find("[data-testid=location]", { text: "39.90550, 116.39760" });
  await bob.call("TIMMsgSendMessage", {
    conv_id: "alice", conv_type: 1,
    json_msg_param: { message_elem_array: [{ elem_type: 3, custom_elem_data: "{\"kind\":\"poll\"}", custom_elem_desc: "Poll: lunch at noon?" }] },
  });
  await wd.find("[data-testid=custom-elem]", { text: "Poll: lunch at noon?", timeout: 20000 });

  // A merged message holds sent messages: bob forwards two of his own as one.
  const inner = [await bob.sendText("alice", "Tent is packed"), await bob.sendText("alice", "Leaving at 8")];
  await bob.call("TIMMsgSendMessage", {
    conv_id: "alice", conv_type: 1,
    json_msg_param: {
      message_elem_array: [{
        elem_type: 12, merge_elem_title: "Trip notes", merge_elem_abstract_array: ["bob: Tent is packed", "bob: Leaving at 8"],
        merge_elem_compatible_text: "[Chat history]",
        merge_elem_message_array: inner,
      }],
    },
  });
  const card = await wd.find("[data-testid=merge-card]", { text: "Trip notes", timeout: 20000 });
  assert.match(await card.text(), /bob: Tent is packed/);
  await sleep(300);
  await shot(wd, "media-11-video-location-custom-merged");
  await card.click();
  await wd.find("[data-testid=merged-dialog]");
  await wd.find("[data-testid=merged-item]", { text: "Leaving at 8" });
  assert.equal(await wd.count("[data-testid=merged-item]"), 2);
  await sleep(300);
  await shot(wd, "media-12-merged-dialog");
  await (await wd.find("[data-testid=merged-dialog] .primary")).click();
  await wd.until("the dialog to close", async () => (await wd.count("[data-testid=merged-dialog]")) === 0);
});

test("paste an image into the composer: bytes go to the shell, the image is sent", async () => {
  // The OS clipboard cannot be filled from WebDriver; the paste event carries a real PNG made
  // in the page, and everything after it (bytes to the shell, sending, the thumbnail) is real.
  await wd.cmd("POST", "/execute/async", {
    script: `const done = arguments[arguments.length - 1];
      const c = document.createElement('canvas'); c.width = 400; c.height = 300;
      const g = c.getContext('2d'); g.fillStyle = '#e4572e'; g.fillRect(0, 0, 400, 300); g.fillStyle = '#fff'; g.fillRect(100, 75, 200, 150);
      c.toBlob((b) => {
        const dt = new DataTransfer();
        dt.items.add(new File([b], 'image.png', { type: 'image/png' }));
        const ta = document.querySelector('[data-testid=composer]');
        ta.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
        done(true);
      }, 'image/png');`,
    args: [],
  });
  const got = await recvWith(bob, 1, (x) => x.image_elem_orig_pic_width === 400);
  assert.equal(got.message_elem_array[0].image_elem_orig_pic_height, 300);
  // The newest own bubble is the pasted image, showing its thumbnail tier (400×300 → 264×198).
  const size = await wd.until("the pasted image's thumbnail", async () => wd.exec(`
    const rows = document.querySelectorAll('.row.self'); const img = rows[rows.length - 1]?.querySelector('[data-testid=image-thumb][data-loaded=true] img');
    return img && img.complete && img.naturalWidth > 0 ? [img.naturalWidth, img.naturalHeight] : null`), 30000);
  assert.deepEqual(size, [264, 198]);
  await sleep(300);
  await shot(wd, "media-13-pasted-image");
});

test("files dropped onto the page itself (a drop the shell did not take) are sent from their bytes", async () => {
  const sent = await wd.exec(`const dt = new DataTransfer();
    dt.items.add(new File(["dropped past the shell\\n"], "dom drop.txt", { type: "text/plain" }));
    const over = new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true });
    document.querySelector("[data-testid=messages]").dispatchEvent(over);
    const drop = new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true });
    document.querySelector("[data-testid=messages]").dispatchEvent(drop);
    return [over.defaultPrevented, drop.defaultPrevented];`);
  assert.deepEqual(sent, [true, true], "the page accepts dragged files and keeps the drop from navigating");
  const got = await recvWith(bob, 4, (x) => x.file_elem_file_name === "dom drop.txt");
  assert.equal(got.message_elem_array[0].file_elem_file_size, "dropped past the shell\n".length, "bob gets the file under its own name");
  await wd.find(".row.self[data-state=sent] [data-testid=file-name]", { text: "dom drop.txt", timeout: 20000 });
});

test("a file that cannot be sent: the bubble says so and offers to resend", async () => {
  pick(join(dir, "gone.bin"));
  await (await wd.find("[data-testid=pick-file]")).click();
  await wd.find(".row.self[data-state=failed] [data-testid=file-name]", { text: "gone.bin", timeout: 20000 });
  await wd.find(".row.self[data-state=failed] [data-testid=resend]");
  const banner = await wd.find(".banner.error");
  assert.match(await banner.text(), /\d{4}/, "the error names the TIM code");
  await sleep(300);
  await shot(wd, "media-14-send-failed");
});
