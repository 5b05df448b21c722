import { useState } from "react";
import { useI18n } from "../i18n";
import { isCmdError } from "../api/shell";
import { fetchTier, media, useDownloadProgress } from "../lib/mediaApi";
import { formatSize, hasTier, percent } from "../lib/media";
import type { MediaFile, MediaTier } from "../bindings/shell";
import type { Elem } from "../tim/types";

/** The shell's answer to opening a file that runs as a program before the person confirmed. */
export const NEEDS_CONFIRM = 6032;

/** Download a file-like tier with progress, then open / show in folder / save as. */
export function useDownload(e: Elem, tier: MediaTier, progressKey: string) {
  const [file, setFile] = useState<MediaFile | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const progress = useDownloadProgress(progressKey);
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const f = await fetchTier(e, tier, progressKey);
      setFile(f);
      return f;
    } catch (err) {
      setError(err);
      return null;
    } finally {
      setBusy(false);
    }
  };
  return { file, busy, error, progress, start, progressEvents: progress?.n ?? 0 };
}

export function FileActions({ path, name, onError }: { path: string; name: string; onError: (e: unknown) => void }) {
  const { t } = useI18n();
  const [saved, setSaved] = useState<string | null>(null);
  const [risky, setRisky] = useState(false);
  const open = (confirmed?: boolean) =>
    media.open(path, name, confirmed).then(
      () => setRisky(false),
      (e) => (isCmdError(e) && e.code === NEEDS_CONFIRM ? setRisky(true) : onError(e)),
    );
  return (
    <div className="file-actions">
      <button type="button" onClick={() => open()} data-testid="file-open">{t("media_open")}</button>
      <button type="button" onClick={() => media.reveal(path).catch(onError)} data-testid="file-reveal">{t("media_reveal")}</button>
      <button
        type="button"
        onClick={() => media.saveAs(path, name).then((p) => p && setSaved(p), onError)}
        data-testid="file-save"
      >
        {t("media_saveAs")}
      </button>
      {saved && <span className="file-saved" data-testid="file-saved" title={saved}>{t("media_saved", { path: saved })}</span>}
      {risky && (
        <div className="file-warning" role="alertdialog" data-testid="file-risky">
          <span>{t("media_runsCode", { name })}</span>
          <button type="button" onClick={() => open(true)} data-testid="file-open-anyway">{t("media_openAnyway")}</button>
          <button type="button" onClick={() => setRisky(false)}>{t("cancel")}</button>
        </div>
      )}
    </div>
  );
}

/** A file message: name, size, download with a progress bar, then open / show in folder /
 *  save as. While sending, the upload progress. */
export function FileCard({ e, msgKey, upload }: { e: Elem; msgKey: string; upload: { cur: number; total: number } | null }) {
  const { t } = useI18n();
  const name = e.file_elem_file_name || "file";
  const size = e.file_elem_file_size ?? 0;
  const d = useDownload(e, "file", `file:${msgKey}`);
  const [err, setErr] = useState<string | null>(null);
  const onError = (x: unknown) => setErr(isCmdError(x) ? t("errorCode", { code: x.code, message: x.message }) : String(x));
  const ready = hasTier(e, "file");
  const pct = d.busy ? percent(d.progress?.cur ?? 0, d.progress?.total || size) : upload ? percent(upload.cur, upload.total) : 0;
  const state = d.file ? "done" : d.busy ? "downloading" : upload && !ready ? "uploading" : "idle";
  return (
    <div className="file-card" data-testid="file-card" data-state={state} data-progress-events={d.progressEvents}>
      <div className="file-icon" aria-hidden>{(name.split(".").pop() ?? "").slice(0, 4).toUpperCase() || "FILE"}</div>
      <div className="file-body">
        <div className="file-name" title={name} data-testid="file-name">{name}</div>
        {(size || upload?.total) ? <div className="file-size">{formatSize(size || upload?.total || 0)}</div> : null}
        {(state === "downloading" || state === "uploading") && (
          <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} data-testid="file-progress">
            <div style={{ width: `${pct}%` }} />
          </div>
        )}
        {state === "uploading" && <div className="file-size">{t("media_uploading", { pct })}</div>}
        {state === "downloading" && <div className="file-size">{t("media_downloading", { pct })}</div>}
        {state === "idle" && ready && (
          <div className="file-actions">
            <button type="button" onClick={() => void d.start()} data-testid="file-download">{t("media_download")}</button>
          </div>
        )}
        {d.file && <FileActions path={d.file.path} name={name} onError={onError} />}
        {(err || !!d.error) && <div className="media-error" role="alert">{err ?? t("media_failed")}</div>}
      </div>
    </div>
  );
}
