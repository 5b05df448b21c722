import { useI18n, type Lang } from "../i18n";
import type { Theme } from "../App";

export function LangSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="inline">
      {t("language")}
      <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} data-testid="lang-select">
        <option value="en">English</option>
        <option value="zh">中文</option>
      </select>
    </label>
  );
}

export function ThemeSwitch({ theme, setTheme }: { theme: Theme; setTheme: (t: Theme) => void }) {
  const { t } = useI18n();
  return (
    <label className="inline">
      {t("theme")}
      <select value={theme} onChange={(e) => setTheme(e.target.value as Theme)} data-testid="theme-select">
        <option value="system">{t("themeSystem")}</option>
        <option value="light">{t("themeLight")}</option>
        <option value="dark">{t("themeDark")}</option>
      </select>
    </label>
  );
}
