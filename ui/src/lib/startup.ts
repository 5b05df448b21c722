import { shell } from "../api/shell";

/** A start-up milestone: a performance mark (read through WebDriver) and a line in the launch
 *  benchmark's trace file (scripts/bench-desktop.mjs; a no-op in normal use). */
export function startupMark(name: string): void {
  performance.mark(`confab:${name}`);
  void shell.startupMark(name);
}
