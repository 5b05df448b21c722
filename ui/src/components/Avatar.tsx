import { initial } from "../lib/preview";

/** A round avatar with the name's initial on a colour derived from the id. */
export function Avatar({ id, name, size = 40, group = false }: { id: string; name: string; size?: number; group?: boolean }) {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.codePointAt(0)!) % 360;
  return (
    <span
      className={"avatar" + (group ? " group" : "")}
      aria-hidden="true"
      style={{ width: size, height: size, fontSize: size * 0.42, background: `hsl(${h} 55% 52%)` }}
    >
      {initial(name)}
    </span>
  );
}
