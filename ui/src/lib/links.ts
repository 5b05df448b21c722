/** Text split into plain runs and links (http, https, www.). */
export type Run = { text: string; href?: string };

const LINK = /\b((?:https?:\/\/|www\.)[^\s<>"']+)/gi;

export function linkify(text: string): Run[] {
  const out: Run[] = [];
  let last = 0;
  for (const m of text.matchAll(LINK)) {
    let url = m[1];
    // Trailing punctuation belongs to the sentence, not the link.
    const trail = /[.,;:!?)\]}'"。，！？）]+$/.exec(url);
    if (trail) url = url.slice(0, -trail[0].length);
    const start = m.index ?? 0;
    if (start > last) out.push({ text: text.slice(last, start) });
    out.push({ text: url, href: url.toLowerCase().startsWith("www.") ? `https://${url}` : url });
    last = start + url.length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}
