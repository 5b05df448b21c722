// Recording a voice note from a real microphone in the real desktop app. The microphone is a
// PulseAudio server of the test's own: a 440 Hz tone (GStreamer's audiotestsrc) plays into a
// null sink whose monitor, remapped as an ordinary source, is the default input. The app's
// WebKit captures it through GStreamer (getUserMedia), the page records it (Web Audio, WAV) and
// sends it; bob (confab-cli) downloads the note and ffmpeg checks that it holds seconds of sound.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, tempDir, shot, sleep, startServer, signedUpPeers, startSignedUp, startChat } from "./harness.mjs";

let bob, app, wd, pulse, dir;

/** A PulseAudio server on a socket of its own whose default source hears a 440 Hz tone. */
async function startMicrophone() {
  const sock = join(dir, "pulse.sock");
  const env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: dir, XDG_CONFIG_HOME: dir };
  const p = spawn(
    "pulseaudio",
    [
      "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--log-target=stderr", "--log-level=error",
      "-L", `module-native-protocol-unix socket=${sock} auth-anonymous=1`,
      "-L", "module-null-sink sink_name=confab_feed",
      "-L", "module-remap-source master=confab_feed.monitor source_name=confab_mic source_properties=device.description=Microphone",
      "-L", "module-null-sink sink_name=confab_out",
    ],
    { env, stdio: ["ignore", "ignore", "inherit"] },
  );
  for (let i = 0; i < 50 && !existsSync(sock); i++) await sleep(100);
  if (!existsSync(sock)) throw new Error("pulseaudio did not start (bash scripts/test.sh installs it)");
  const server = `unix:${sock}`;
  execFileSync("pactl", ["--server", server, "set-default-source", "confab_mic"]);
  execFileSync("pactl", ["--server", server, "set-default-sink", "confab_out"]);
  const tone = spawn("gst-launch-1.0", ["-q", "audiotestsrc", "freq=440", "volume=0.5", "is-live=true", "!", "pulsesink", "device=confab_feed"], {
    env: { ...env, PULSE_SERVER: server }, stdio: ["ignore", "ignore", "inherit"],
  });
  return { server, stop: () => [tone, p].forEach((c) => c.kill("SIGTERM")) };
}

/** Run `f` in the page and wait for the promise it returns (WebDriver's sync script + polling). */
async function inPage(what, body, ...args) {
  await wd.exec(`window.__r = undefined; Promise.resolve().then(async () => { ${body} }).then((v) => { window.__r = { ok: v }; }, (e) => { window.__r = { err: String(e && e.name) }; });`, ...args);
  let r;
  await wd.until(what, async () => (r = await wd.exec("return window.__r")) !== undefined && r !== null, 20000);
  return r;
}

before(async () => {
  dir = tempDir("voice");
  pulse = await startMicrophone();
  process.env.PULSE_SERVER = pulse.server;
  const url = await startServer();
  [bob] = await signedUpPeers(url, "bob");
  app = await startSignedUp(url, "alice");
  delete process.env.PULSE_SERVER;
  wd = app.wd;
  await startChat(wd, "bob");
});

after(async () => {
  await app?.stop();
  pulse?.stop();
  cleanup();
});

test("record a voice note from the microphone: the timer runs, bob gets seconds of real sound", async () => {
  await (await wd.find("[data-testid=record-voice]")).click();
  const rec = await wd.find("[data-testid=recording]", { timeout: 10000 });
  assert.equal(await wd.count("[data-testid=composer-notice]"), 0, "no 'no microphone' notice");
  await wd.until("the timer to reach 0:02", async () => /0:0[2-9]/.test(await rec.text()), 15000);
  await shot(wd, "voice-01-recording");
  await sleep(600);
  await (await wd.find("[data-testid=voice-send]")).click();

  // Bob receives a sound element of about the recorded length.
  const e = await bob.waitEvent((ev) => ev.event === "TIMRecvNewMsgCallback" && ev.json.some((m) => m.message_elem_array.some((x) => x.elem_type === 2)), 30000).catch(async (err) => {
    await shot(wd, "voice-01x-not-sent");
    const notice = await wd.exec("return document.querySelector('[data-testid=composer-notice]')?.textContent ?? null");
    const row = await wd.exec("return document.querySelector('.row.self')?.outerHTML ?? null");
    throw new Error(`${err.message}; notice: ${notice}; own row: ${row}`);
  });
  const s = e.json.find((m) => m.message_elem_array.some((x) => x.elem_type === 2)).message_elem_array.find((x) => x.elem_type === 2);
  assert.ok(s.sound_elem_file_time >= 2 && s.sound_elem_file_time <= 5, `duration ${s.sound_elem_file_time} s`);
  assert.ok(s.sound_elem_file_size > 2000, `size ${s.sound_elem_file_size}`);
  await bob.call("TIMMsgDownloadElemToPath", {
    json_download_elem_param: { msg_download_elem_param_id: s.sound_elem_file_id, msg_download_elem_param_url: s.sound_elem_url, msg_download_elem_param_type: 3 },
    path: "note-from-alice",
  });
  const file = join(bob.dir, "downloads", "note-from-alice");
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(0, 4).toString("latin1") + bytes.subarray(8, 12).toString("latin1"), "RIFFWAVE", "a WAV recording");
  assert.equal(bytes.length, s.sound_elem_file_size);
  // Decoded by ffmpeg: seconds of audio, and loud (a sine, not the silence of a dead input).
  const err = spawnSync("ffmpeg", ["-hide_banner", "-nostats", "-i", file, "-af", "volumedetect", "-f", "null", "-"], { encoding: "utf8" }).stderr;
  const mean = Number(/mean_volume:\s*(-?[\d.]+) dB/.exec(err)?.[1]);
  const secs = Number(/time=(\d+):(\d+):([\d.]+)/.exec(err)?.slice(1).reduce((a, v, i) => a + Number(v) * [3600, 60, 1][i], 0));
  console.log(`recorded note: ${s.sound_elem_file_time} s, ${s.sound_elem_file_size} bytes, decoded ${secs} s, mean volume ${mean} dB`);
  assert.ok(mean > -40, `the note holds sound (mean volume ${mean} dB)`);
  assert.ok(secs >= 1.5, `the note decodes to ${secs} s`);

  // Alice's own bubble: a voice note with its duration.
  await wd.find(`.row.self [data-testid=voice] [data-testid=voice-duration]`, { text: `0:0${s.sound_elem_file_time}`, timeout: 20000 });
  await sleep(300);
  await shot(wd, "voice-02-sent");
  // And it plays back in the window (into the test's sound server).
  const mine = ".row.self [data-testid=voice]";
  await (await wd.find(`${mine} [data-testid=voice-play]`)).click();
  await wd.until("my note to play", async () => (await wd.exec(`return document.querySelector(arguments[0]).dataset.playing`, mine)) === "true", 20000);
  await wd.until("my note to end", async () => (await wd.exec(`return document.querySelector(arguments[0]).dataset.playing`, mine)) === "false", 20000);
});

test("the page may use the microphone; a camera is not granted", async () => {
  const mic = await inPage("the microphone request to settle", "const s = await navigator.mediaDevices.getUserMedia({ audio: true }); const n = s.getAudioTracks().length; s.getTracks().forEach((t) => t.stop()); return n;");
  assert.equal(mic.ok, 1, `the microphone is granted (${JSON.stringify(mic)})`);
  // There is no camera here, so this shows only that none is handed out; the shell's rule
  // (microphone only) is unit-tested in src-tauri (media_permission).
  const cam = await inPage("the camera request to settle", "const s = await navigator.mediaDevices.getUserMedia({ video: true }); s.getTracks().forEach((t) => t.stop()); return 'granted';");
  assert.equal(cam.ok, undefined, "no camera stream");
  assert.match(cam.err, /NotAllowedError|NotFoundError|OverconstrainedError/);
});
