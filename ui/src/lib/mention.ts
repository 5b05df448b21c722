// @mentions in the composer: find the "@query" being typed, filter the group's members, insert
// "@name ", and work out which user ids the sent text still mentions.

/** The TIM sentinel for "@all" in `message_group_at_user_array` (baseline spelling). */
export const AT_ALL = "__kImSDK_MesssageAtALL__";

export interface MentionMember {
  id: string;
  name: string;
}

/** The mention being typed before `caret`: an "@" at the start or after whitespace, then no
 *  whitespace up to the caret. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf("@");
  if (at < 0) return null;
  if (at > 0 && !/\s/.test(before[at - 1])) return null;
  const query = before.slice(at + 1);
  if (/\s/.test(query) || query.length > 32) return null;
  return { start: at, query };
}

/** Members matching the query (id or name, case-insensitive), prefix matches first; not me. */
export function filterMembers(members: MentionMember[], query: string, me: string, limit = 8): MentionMember[] {
  const q = query.toLowerCase();
  const scored: { m: MentionMember; s: number }[] = [];
  for (const m of members) {
    if (m.id === me) continue;
    const id = m.id.toLowerCase();
    const name = m.name.toLowerCase();
    const s = !q ? 1 : id.startsWith(q) || name.startsWith(q) ? 0 : id.includes(q) || name.includes(q) ? 1 : -1;
    if (s >= 0) scored.push({ m, s });
  }
  scored.sort((a, b) => a.s - b.s || a.m.name.localeCompare(b.m.name));
  return scored.slice(0, limit).map((x) => x.m);
}

/** Replace "@query" (from `start` to `caret`) with "@name ". */
export function insertMention(text: string, start: number, caret: number, name: string): { value: string; caret: number } {
  const ins = `@${name} `;
  return { value: text.slice(0, start) + ins + text.slice(caret), caret: start + ins.length };
}

/** The user ids to put in `message_group_at_user_array`: those picked whose "@name" is still in
 *  the text, each once, in pick order. */
export function atUsers(text: string, picked: MentionMember[]): string[] {
  const out: string[] = [];
  for (const p of picked) if (!out.includes(p.id) && text.includes(`@${p.name}`)) out.push(p.id);
  return out;
}
