import { createContext, useContext } from "react";
import { en, type MessageKey } from "./en";
import { zh } from "./zh";

export type Lang = "en" | "zh";
export const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, zh };

/** The language for a BCP 47 tag (navigator.language): Chinese variants → zh, else en. */
export function langFor(tag: string | undefined): Lang {
  return tag && tag.toLowerCase().startsWith("zh") ? "zh" : "en";
}

export type T = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): T {
  const dict = dictionaries[lang];
  return (key, vars) => {
    let s = dict[key] ?? en[key] ?? key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    return s;
  };
}

export const I18nContext = createContext<{ lang: Lang; t: T; setLang: (l: Lang) => void }>({
  lang: "en",
  t: translator("en"),
  setLang: () => {},
});
export const useI18n = () => useContext(I18nContext);
export type { MessageKey };
