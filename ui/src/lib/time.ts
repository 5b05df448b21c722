import type { Lang } from "../i18n";

/** Conversation-list time: HH:MM today, "Yesterday", weekday within a week, else a date.
 *  `secs` is a TIM timestamp (seconds); `now` is injectable for tests. */
export function listTime(secs: number, lang: Lang, yesterday: string, now: Date = new Date()): string {
  if (!secs) return "";
  const d = new Date(secs * 1000);
  const locale = lang === "zh" ? "zh-CN" : "en-GB";
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 86_400_000;
  if (d.getTime() >= startOfToday) return hm(d);
  if (d.getTime() >= startOfToday - day) return yesterday;
  if (d.getTime() >= startOfToday - 6 * day) return d.toLocaleDateString(locale, { weekday: "short" });
  if (d.getFullYear() === now.getFullYear()) return d.toLocaleDateString(locale, { month: "numeric", day: "numeric" });
  return d.toLocaleDateString(locale, { year: "numeric", month: "numeric", day: "numeric" });
}

/** Time inside a bubble: HH:MM. */
export function hm(d: Date): string {
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** Whether a time divider goes between two messages (more than 5 minutes apart). */
export function needsDivider(prevSecs: number | undefined, secs: number): boolean {
  return prevSecs === undefined || secs - prevSecs > 300;
}
