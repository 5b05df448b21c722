// WCAG 2 contrast of the theme colours (styles.css custom properties), so the tests can hold
// every text/background pair of both themes to the AA thresholds.

/** Relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  const [r, g, b] = m.slice(1).map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Contrast ratio between two colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The `--name: #rrggbb` properties of the first block that `selector` opens in `css`. */
export function themeColours(css: string, selector: string): Record<string, string> {
  const start = css.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`no ${selector} block`);
  const block = css.slice(start, css.indexOf("}", start));
  const out: Record<string, string> = {};
  for (const m of block.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})\b/g)) out[m[1]] = m[2];
  return out;
}

/** The `color` and `background` of the rule for `selector` (when written as #rrggbb). */
export function ruleColours(css: string, selector: string): { color?: string; background?: string } {
  const start = css.indexOf(`\n${selector} {`);
  if (start < 0) throw new Error(`no ${selector} rule`);
  const rule = css.slice(start, css.indexOf("}", start));
  const pick = (prop: string) => new RegExp(`(?:^|[;{\\s])${prop}:\\s*(#[0-9a-fA-F]{3,6})\\b`).exec(rule)?.[1];
  return { color: pick("color"), background: pick("background") };
}

/** #rgb → #rrggbb. */
export function longHex(hex: string): string {
  return /^#[0-9a-f]{3}$/i.test(hex) ? `#${[...hex.slice(1)].map((c) => c + c).join("")}` : hex;
}
