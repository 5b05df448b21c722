// Avatars as pictures. TIM face URLs (user_profile_face_url, group_detial_info_face_url,
// conv_face_url) are whatever URL a person or an admin typed; only http(s) URLs are loaded, as
// plain <img> (no script, no credentials, no referrer). The webview's CSP allows `https:` and
// `http:` in img-src for this alone (src-tauri/tauri.conf.json): http because self-hosted
// servers often serve avatars on a LAN without TLS. Scripts, styles and connections stay
// limited to the app itself. Loading such a URL tells its host the viewer's address, as in
// every messenger that shows remote avatars.

/** The URL to load for a face URL, or null (empty, not http(s), malformed): initials then. */
export function avatarSrc(url: string | null | undefined): string | null {
  const s = url?.trim();
  if (!s) return null;
  try {
    const u = new URL(s);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}
