import { useState } from "react";
import { initial } from "../lib/preview";
import { avatarSrc } from "../lib/avatar";

/** A round avatar: the face URL's picture when it is an http(s) URL that loads (see
 *  lib/avatar.ts for why remote images are allowed), else the name's initial on a colour
 *  derived from the id. */
export function Avatar({ id, name, size = 40, group = false, url }: { id: string; name: string; size?: number; group?: boolean; url?: string | null }) {
  const src = avatarSrc(url);
  // The URL that failed to load: initials until the URL changes.
  const [failed, setFailed] = useState<string | null>(null);
  const picture = src !== null && failed !== src;
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.codePointAt(0)!) % 360;
  return (
    <span
      className={"avatar" + (group ? " group" : "") + (picture ? " picture" : "")}
      aria-hidden="true"
      data-avatar={picture ? "picture" : "initials"}
      style={{ width: size, height: size, fontSize: size * 0.42, background: `hsl(${h} 55% 52%)` }}
    >
      {picture ? (
        <img src={src} alt="" draggable={false} referrerPolicy="no-referrer" decoding="async" onError={() => setFailed(src)} />
      ) : (
        initial(name)
      )}
    </span>
  );
}
