import { useCallback, useEffect, useMemo, useState } from "react";
import { I18nContext, langFor, translator, type Lang } from "./i18n";
import { isCmdError, shell, type SignedIn } from "./api/shell";
import { rememberLastLogin, takeLegacySession } from "./lib/session";
import { startEvents, useCoreEvents } from "./lib/events";
import { NetworkStatus } from "./tim/types";
import { SignIn } from "./components/SignIn";
import { Main } from "./components/Main";
import { Dialog } from "./components/Dialog";
import { startupMark } from "./lib/startup";

export type Theme = "light" | "dark" | "system";

// `generation` tells sign-ins apart (the main view starts afresh on each).
type Phase = { kind: "starting" } | { kind: "signin"; notice?: string } | { kind: "ready"; session: SignedIn; generation: number };

export function App() {
  const [lang, setLangState] = useState<Lang>(() => (localStorage.getItem("confab.lang") as Lang) || langFor(navigator.language));
  const [theme, setThemeState] = useState<Theme>(() => (localStorage.getItem("confab.theme") as Theme) || "system");
  const [phase, setPhase] = useState<Phase>({ kind: "starting" });
  const [network, setNetwork] = useState<number>(NetworkStatus.Connected);
  const [kicked, setKicked] = useState(false);
  const t = useMemo(() => translator(lang), [lang]);

  const setLang = useCallback((l: Lang) => {
    localStorage.setItem("confab.lang", l);
    setLangState(l);
  }, []);
  const setTheme = useCallback((th: Theme) => {
    localStorage.setItem("confab.theme", th);
    setThemeState(th);
  }, []);

  useEffect(() => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  }, [lang]);
  useEffect(() => {
    const apply = () => {
      const dark = theme === "dark" || (theme === "system" && window.matchMedia("(prefers-color-scheme: dark)").matches);
      document.documentElement.dataset.theme = dark ? "dark" : "light";
    };
    apply();
    const mq = window.matchMedia("(prefers-color-scheme: dark)");
    mq.addEventListener("change", apply);
    return () => mq.removeEventListener("change", apply);
  }, [theme]);

  // Resume the session the shell kept (or hand over one an older version kept here) at start.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      await startEvents();
      try {
        const legacy = takeLegacySession();
        const s = legacy ? await shell.signInWithUserSig(legacy) : await shell.resumeSession();
        if (!s) {
          if (!cancelled) setPhase({ kind: "signin" });
          return;
        }
        startupMark("resumed");
        if (!cancelled) setPhase({ kind: "ready", session: s, generation: Date.now() });
      } catch (e) {
        if (!cancelled) setPhase({ kind: "signin", notice: isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e) });
      }
    })();
    return () => {
      cancelled = true;
    };
    // Only at start.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useCoreEvents((e) => {
    switch (e.event) {
      case "TIMNetworkStatusListenerCallback":
        setNetwork((e as { status: number }).status);
        break;
      case "TIMKickedOfflineCallback":
        setKicked(true);
        break;
      case "TIMUserSigExpiredCallback":
        void shell.signOut();
        setPhase({ kind: "signin", notice: t("sigExpired") });
        break;
    }
  });

  const onSignedIn = (s: SignedIn) => {
    rememberLastLogin(s);
    setNetwork(NetworkStatus.Connected);
    setPhase({ kind: "ready", session: s, generation: Date.now() });
  };
  const signOut = async () => {
    setKicked(false);
    try {
      await shell.signOut();
    } finally {
      setPhase({ kind: "signin" });
    }
  };
  const signInAgain = async () => {
    setKicked(false);
    if (phase.kind !== "ready") return;
    try {
      const s = await shell.resumeSession();
      setPhase(s ? { kind: "ready", session: s, generation: Date.now() } : { kind: "signin" });
    } catch (e) {
      setPhase({ kind: "signin", notice: isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e) });
    }
  };

  return (
    <I18nContext.Provider value={{ lang, t, setLang }}>
      {phase.kind === "starting" && <div className="splash" aria-busy="true">{t("appName")}</div>}
      {phase.kind === "signin" && <SignIn notice={phase.notice} onSignedIn={onSignedIn} />}
      {phase.kind === "ready" && (
        <Main
          key={`${phase.session.user_id}/${phase.generation}`}
          session={phase.session}
          network={network}
          theme={theme}
          setTheme={setTheme}
          onSignOut={signOut}
          onSignedOutEverywhere={() => setPhase({ kind: "signin", notice: t("signedOutEverywhere") })}
        />
      )}
      {kicked && (
        <Dialog title={t("kickedTitle")} onClose={signOut} testId="kicked-dialog">
          <p>{t("kickedBody")}</p>
          <div className="dialog-actions">
            <button type="button" className="secondary" onClick={signOut}>{t("signOut")}</button>
            <button type="button" className="primary" onClick={signInAgain} data-autofocus data-testid="sign-in-again">{t("signInAgain")}</button>
          </div>
        </Dialog>
      )}
    </I18nContext.Provider>
  );
}
