import { describe, expect, it } from "vitest";
import { joinBlocks, toPcm16, VOICE_RATE, wavFile } from "./voiceRecorder";

const sine = (n: number, rate: number, hz: number, amp = 0.5) =>
  Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));

describe("voice notes", () => {
  it("resamples 48 kHz to 16 kHz keeping the length in time and the level", () => {
    const pcm = toPcm16(sine(48000, 48000, 440), 48000, VOICE_RATE);
    expect(pcm.length).toBe(16000);
    const peak = Math.max(...Array.from(pcm, Math.abs));
    expect(peak).toBeGreaterThan(0.45 * 0x7fff);
    expect(peak).toBeLessThanOrEqual(0.5 * 0x7fff + 1);
    // Still a 440 Hz tone: about 880 zero crossings a second.
    let crossings = 0;
    for (let i = 1; i < pcm.length; i++) if (pcm[i - 1] < 0 !== pcm[i] < 0) crossings++;
    expect(crossings).toBeGreaterThan(860);
    expect(crossings).toBeLessThan(900);
  });

  it("resamples 44.1 kHz, and clips what is out of range", () => {
    expect(toPcm16(sine(44100 * 2, 44100, 300), 44100, VOICE_RATE).length).toBe(32000);
    expect(Array.from(toPcm16(Float32Array.of(2, -2, 0, 1, -1), 16000, 16000))).toEqual([0x7fff, -0x8000, 0, 0x7fff, -0x8000]);
  });

  it("writes a PCM WAV header that says what follows", () => {
    const samples = Int16Array.of(1, -1, 300, -300);
    const wav = wavFile(samples, VOICE_RATE);
    const v = new DataView(wav.buffer);
    const text = (at: number, n: number) => String.fromCharCode(...wav.slice(at, at + n));
    expect(wav.length).toBe(44 + 8);
    expect([text(0, 4), text(8, 4), text(12, 4), text(36, 4)]).toEqual(["RIFF", "WAVE", "fmt ", "data"]);
    expect(v.getUint32(4, true)).toBe(wav.length - 8);
    expect(v.getUint16(20, true)).toBe(1); // PCM
    expect(v.getUint16(22, true)).toBe(1); // mono
    expect(v.getUint32(24, true)).toBe(16000);
    expect(v.getUint32(28, true)).toBe(32000);
    expect(v.getUint16(34, true)).toBe(16);
    expect(v.getUint32(40, true)).toBe(8);
    expect([v.getInt16(44, true), v.getInt16(46, true), v.getInt16(48, true), v.getInt16(50, true)]).toEqual([1, -1, 300, -300]);
  });

  it("joins captured blocks in order", () => {
    expect(Array.from(joinBlocks([Float32Array.of(1, 2), Float32Array.of(), Float32Array.of(3)]))).toEqual([1, 2, 3]);
  });
});
