/** The composer's emoji picker: common Unicode emoji (sent as text). */
export const EMOJI = [
  "😀", "😁", "😂", "🤣", "😊", "😍", "😘", "😎", "🤔", "😅", "😭", "😡",
  "👍", "👎", "👏", "🙏", "💪", "👋", "🤝", "🎉", "❤️", "🔥", "✨", "⭐",
  "😴", "🤗", "😇", "🙃", "😉", "😋", "😬", "😱", "🥳", "🤩", "😷", "🤫",
  "☕", "🍺", "🍰", "🌹", "🎁", "🚀", "✅", "❌", "❓", "💯", "👀", "🙈",
];

/** Insert text at a selection, returning the new value and caret. */
export function insertAt(value: string, start: number, end: number, text: string): { value: string; caret: number } {
  return { value: value.slice(0, start) + text + value.slice(end), caret: start + text.length };
}

/** A message made only of up to three emoji is shown large. */
export function isEmojiOnly(text: string): boolean {
  const t = text.trim();
  if (!t) return false;
  const seg = [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(t)].map((s) => s.segment).filter((s) => s.trim());
  return seg.length <= 3 && seg.every((s) => /\p{Extended_Pictographic}/u.test(s));
}
