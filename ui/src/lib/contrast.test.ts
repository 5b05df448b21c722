import { describe, expect, it } from "vitest";
import css from "../styles.css?raw";
import { contrast, longHex, ruleColours, themeColours } from "./contrast";

const light = themeColours(css, ":root");
const dark = { ...light, ...themeColours(css, '[data-theme="dark"]') };

// [foreground, background, minimum]: 4.5 for text (AA, normal size), 3 for focus rings, icons
// and other non-text indicators (WCAG 1.4.11).
const PAIRS: [string, string, number][] = [
  ["text", "bg", 4.5], ["text", "panel", 4.5], ["text", "panel-2", 4.5], ["text", "bubble-other", 4.5],
  ["text", "accent-soft", 4.5], ["muted", "bg", 4.5], ["muted", "panel", 4.5], ["muted", "panel-2", 4.5],
  ["accent-text", "accent", 4.5], ["bubble-self-text", "bubble-self", 4.5], ["danger", "panel", 4.5],
  ["warn-text", "warn-bg", 4.5], ["ok", "panel", 3], ["focus", "panel", 3], ["focus", "bg", 3], ["accent", "panel", 3],
];

describe("theme contrast", () => {
  it("computes WCAG ratios", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
  });
  for (const [name, theme] of [["light", light], ["dark", dark]] as const) {
    it(`${name} theme meets AA for every text/background pair`, () => {
      const failing = PAIRS.filter(([fg, bg, min]) => !(contrast(theme[fg], theme[bg]) >= min)).map(
        ([fg, bg, min]) => `${fg} on ${bg}: ${contrast(theme[fg], theme[bg]).toFixed(2)} < ${min}`,
      );
      expect(failing).toEqual([]);
    });
  }
});

describe("fixed colours", () => {
  // Rules that set both colours themselves (the same in both themes).
  for (const selector of [".badge", ".role-badge.owner"]) {
    it(`${selector} text is readable`, () => {
      const { color, background } = ruleColours(css, selector);
      expect(color && background, `${selector} sets both colours`).toBeTruthy();
      expect(contrast(longHex(color!), longHex(background!))).toBeGreaterThanOrEqual(4.5);
    });
  }
});
