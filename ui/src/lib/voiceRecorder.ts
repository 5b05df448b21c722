// Voice notes: the microphone's samples through Web Audio, kept as 16 kHz mono PCM and written
// as a WAV file. MediaRecorder is not used: what it can make differs per webview, and WebKitGTK
// with GStreamer 1.22 (Debian 12) hands back empty recordings. Web Audio works in every webview
// the app runs in, and a WAV plays everywhere.

/** The sample rate of voice notes: telephone-wideband speech, 32 KB per second as 16-bit PCM. */
export const VOICE_RATE = 16000;
/** A voice note's longest length (seconds), as in the messengers people know. */
export const VOICE_MAX_SECONDS = 60;

/** Resample `input` (one channel at `fromRate`) to `toRate` by linear interpolation, as 16-bit
 *  samples. Speech needs nothing finer; anti-aliasing is left to the microphone's own band. */
export function toPcm16(input: Float32Array, fromRate: number, toRate: number): Int16Array {
  const n = Math.floor((input.length * toRate) / fromRate);
  const out = new Int16Array(n);
  const step = fromRate / toRate;
  for (let i = 0; i < n; i++) {
    const x = i * step;
    const j = Math.floor(x);
    const f = x - j;
    const a = input[j] ?? 0;
    const b = input[j + 1] ?? a;
    const v = Math.max(-1, Math.min(1, a + (b - a) * f));
    out[i] = v < 0 ? Math.round(v * 0x8000) : Math.round(v * 0x7fff);
  }
  return out;
}

/** A WAV file (RIFF, PCM, 16-bit, mono) holding `samples` at `rate`. */
export function wavFile(samples: Int16Array, rate: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(new ArrayBuffer(44 + samples.length * 2));
  const v = new DataView(bytes.buffer);
  const ascii = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  ascii(0, "RIFF");
  v.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 16, true); // fmt chunk size
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true); // bytes per second
  v.setUint16(32, 2, true); // block align
  v.setUint16(34, 16, true); // bits per sample
  ascii(36, "data");
  v.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) v.setInt16(44 + i * 2, samples[i], true);
  return bytes;
}

/** Concatenate captured blocks into one buffer. */
export function joinBlocks(blocks: Float32Array[]): Float32Array {
  const out = new Float32Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

export interface VoiceRecording {
  /** Seconds recorded so far. */
  seconds(): number;
  /** Ends the recording and releases the microphone: the note as a WAV, and its length. */
  finish(): { wav: Uint8Array<ArrayBuffer>; seconds: number };
  /** Ends the recording and releases the microphone, keeping nothing. */
  cancel(): void;
}

/** Starts recording from `stream` (a getUserMedia audio stream). `onLimit` is called once the
 *  note reaches VOICE_MAX_SECONDS; capture stops there. */
export async function recordVoice(stream: MediaStream, onLimit: () => void): Promise<VoiceRecording> {
  const Ctx = (window as { AudioContext?: typeof AudioContext }).AudioContext;
  if (!Ctx) throw Object.assign(new Error("no Web Audio"), { name: "NotSupportedError" });
  const ctx = new Ctx();
  const source = ctx.createMediaStreamSource(stream);
  // ScriptProcessorNode needs no module URL (an AudioWorklet would, which the app's CSP keeps
  // to its own scripts); its output is silence and goes nowhere audible.
  const node = ctx.createScriptProcessor(4096, 1, 1);
  const mute = ctx.createGain();
  mute.gain.value = 0;
  const blocks: Float32Array[] = [];
  let frames = 0;
  let done = false;
  const limit = VOICE_MAX_SECONDS * ctx.sampleRate;
  node.onaudioprocess = (e) => {
    if (done || frames >= limit) return;
    const block = e.inputBuffer.getChannelData(0).slice(0, limit - frames);
    blocks.push(block);
    frames += block.length;
    if (frames >= limit) onLimit();
  };
  source.connect(node);
  node.connect(mute);
  mute.connect(ctx.destination);
  if (ctx.state === "suspended") await ctx.resume();
  const end = () => {
    done = true;
    node.onaudioprocess = null;
    source.disconnect();
    node.disconnect();
    mute.disconnect();
    stream.getTracks().forEach((tr) => tr.stop());
    void ctx.close().catch(() => {});
  };
  return {
    seconds: () => frames / ctx.sampleRate,
    finish: () => {
      end();
      const pcm = toPcm16(joinBlocks(blocks), ctx.sampleRate, VOICE_RATE);
      return { wav: wavFile(pcm, VOICE_RATE), seconds: pcm.length / VOICE_RATE };
    },
    cancel: end,
  };
}
