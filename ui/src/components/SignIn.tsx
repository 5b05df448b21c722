import { useState, type FormEvent } from "react";
import { useI18n } from "../i18n";
import { isCmdError, shell, type SignedIn } from "../api/shell";
import { lastLogin, passwordInClear } from "../lib/session";
import { LangSwitch } from "./Settings";

/** Sign up / sign in with a password; advanced: a pasted UserSig and SDKAppID. */
export function SignIn({ notice, onSignedIn }: { notice?: string; onSignedIn: (s: SignedIn) => void }) {
  const { t } = useI18n();
  const last = lastLogin();
  const [register, setRegister] = useState(false);
  const [server, setServer] = useState(last.server_url);
  const [userId, setUserId] = useState(last.user_id);
  const [password, setPassword] = useState("");
  const [nick, setNick] = useState("");
  const [advanced, setAdvanced] = useState(false);
  const [sig, setSig] = useState("");
  const [appId, setAppId] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A password about to go unencrypted to another machine: the person confirms once.
  const [clearOk, setClearOk] = useState<string | null>(null);
  const inClear = !advanced && passwordInClear(server);

  const fail = (e: unknown) => setError(isCmdError(e) ? t("errorCode", { code: e.code, message: e.message }) : String(e));

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    if (inClear && clearOk !== server.trim()) {
      setClearOk(server.trim());
      setError(t("passwordInClear"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const s = advanced
        ? await shell.signInWithUserSig({ server_url: server.trim(), user_id: userId.trim(), user_sig: sig.trim(), sdk_app_id: Number(appId) })
        : await shell.signIn({ serverUrl: server.trim(), userId: userId.trim(), password, nickName: nick.trim() || undefined, register });
      onSignedIn(s);
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div className="signin-brand">
          <img src="/icon.png" alt="" width={48} height={48} />
          <h1 id="signin-title">{t("appName")}</h1>
        </div>
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={!register} className={!register ? "active" : ""} onClick={() => setRegister(false)} data-testid="tab-signin">
            {t("signIn")}
          </button>
          <button type="button" role="tab" aria-selected={register} className={register ? "active" : ""} onClick={() => { setRegister(true); setAdvanced(false); }} data-testid="tab-signup">
            {t("signUp")}
          </button>
        </div>
        {notice && <p className="notice" role="status">{notice}</p>}
        <label>
          {t("server")}
          <input name="server" value={server} onChange={(e) => setServer(e.target.value)} required spellCheck={false} />
        </label>
        <label>
          {t("userId")}
          <input name="userId" value={userId} onChange={(e) => setUserId(e.target.value)} required autoFocus autoComplete="username" spellCheck={false} />
        </label>
        {!advanced && (
          <label>
            {t("password")}
            <input name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete={register ? "new-password" : "current-password"} />
          </label>
        )}
        {register && (
          <label>
            {t("nickName")}
            <input name="nickName" value={nick} onChange={(e) => setNick(e.target.value)} />
          </label>
        )}
        {!register && (
          <details open={advanced} onToggle={(e) => setAdvanced((e.target as HTMLDetailsElement).open)}>
            <summary>{t("advanced")}</summary>
            {advanced && (
              <>
                <label>
                  {t("userSig")}
                  <textarea name="userSig" value={sig} onChange={(e) => setSig(e.target.value)} required rows={3} spellCheck={false} />
                </label>
                <label>
                  {t("sdkAppId")}
                  <input name="sdkAppId" value={appId} onChange={(e) => setAppId(e.target.value.replace(/\D/g, ""))} required inputMode="numeric" />
                </label>
              </>
            )}
          </details>
        )}
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary wide" disabled={busy} data-testid="signin-submit">
          {busy ? t("signingIn") : advanced ? t("signInWithSig") : inClear && clearOk === server.trim() ? t("signInAnyway") : register ? t("signUp") : t("signIn")}
        </button>
        <div className="signin-footer">
          <LangSwitch />
        </div>
      </form>
    </main>
  );
}
