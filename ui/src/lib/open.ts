import { openUrl as openWithOs } from "@tauri-apps/plugin-opener";

/** Open a link from a message in the system browser (http and https only). */
export function openUrl(href: string) {
  if (/^https?:\/\//i.test(href)) void openWithOs(href).catch(() => {});
}
