import { useEffect, useRef, useState } from "react";
import { useI18n } from "../i18n";
import { isCmdError } from "../api/shell";
import { fetchTier, fileUrl, media, useDownloadProgress, useTierFile } from "../lib/mediaApi";
import { formatSize, imageSaveName, nextZoom, originalIsLarger, percent, viewerTier } from "../lib/media";
import type { Elem } from "../tim/types";

/** Full-window image viewer: the large tier at once; zoom with the wheel, the buttons or
 *  + / - / 0; "view original (size)" downloads the original with progress; save as; Esc closes. */
export function ImageViewer({ e, progressKey, onClose }: { e: Elem; progressKey: string; onClose: () => void }) {
  const { t } = useI18n();
  const first = viewerTier(e);
  const large = useTierFile(e, first);
  const [orig, setOrig] = useState<{ path: string } | null>(null);
  const [loadingOrig, setLoadingOrig] = useState(false);
  const [zoom, setZoom] = useState(1);
  const [note, setNote] = useState<string | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const key = `orig:${progressKey}`;
  const progress = useDownloadProgress(key);
  const origSize = typeof e.image_elem_orig_pic_size === "number" ? e.image_elem_orig_pic_size : 0;
  const path = orig?.path ?? large.file?.path;

  useEffect(() => {
    ref.current?.focus();
  }, []);

  const fail = (err: unknown) => setNote(isCmdError(err) ? t("errorCode", { code: err.code, message: err.message }) : String(err));

  const viewOriginal = async () => {
    setLoadingOrig(true);
    try {
      setOrig(await fetchTier(e, "orig", key));
    } catch (err) {
      fail(err);
    } finally {
      setLoadingOrig(false);
    }
  };

  const saveAs = async () => {
    if (!path) return;
    try {
      const saved = await media.saveAs(path, imageSaveName(e, orig ? "orig" : first ?? "large"));
      if (saved) setNote(t("media_saved", { path: saved }));
    } catch (err) {
      fail(err);
    }
  };

  return (
    <div
      className="viewer"
      role="dialog"
      aria-modal="true"
      aria-label={t("media_viewer")}
      tabIndex={-1}
      ref={ref}
      data-testid="image-viewer"
      onClick={(ev) => ev.target === ev.currentTarget && onClose()}
      onKeyDown={(ev) => {
        if (ev.key === "Escape") {
          ev.stopPropagation();
          onClose();
        } else if (ev.key === "+" || ev.key === "=") setZoom((z) => nextZoom(z, 1));
        else if (ev.key === "-") setZoom((z) => nextZoom(z, -1));
        else if (ev.key === "0") setZoom(1);
      }}
      onWheel={(ev) => setZoom((z) => nextZoom(z, ev.deltaY < 0 ? 1 : -1))}
    >
      <div className="viewer-stage" onClick={(ev) => ev.target === ev.currentTarget && onClose()}>
        {path ? (
          <img
            src={fileUrl(path)}
            alt={t("media_image")}
            style={{ transform: `scale(${zoom})` }}
            data-testid="viewer-image"
            data-tier={orig ? "orig" : first ?? ""}
          />
        ) : large.error ? (
          <div className="viewer-msg">{t("media_failed")}</div>
        ) : (
          <div className="viewer-msg">{t("media_loading")}</div>
        )}
      </div>
      <div className="viewer-bar">
        <button type="button" onClick={() => setZoom((z) => nextZoom(z, -1))} aria-label={t("media_zoomOut")} title={t("media_zoomOut")} data-testid="zoom-out">−</button>
        <span className="viewer-zoom" data-testid="viewer-zoom">{Math.round(zoom * 100)}%</span>
        <button type="button" onClick={() => setZoom((z) => nextZoom(z, 1))} aria-label={t("media_zoomIn")} title={t("media_zoomIn")} data-testid="zoom-in">+</button>
        <button type="button" onClick={() => setZoom(1)}>{t("media_zoomReset")}</button>
        {originalIsLarger(e) && !orig && (
          <button type="button" onClick={viewOriginal} disabled={loadingOrig} data-testid="view-original">
            {loadingOrig
              ? t("media_downloading", { pct: percent(progress?.cur ?? 0, progress?.total ?? origSize) })
              : t("media_viewOriginal", { size: formatSize(origSize) })}
          </button>
        )}
        {loadingOrig && (
          <progress max={100} value={percent(progress?.cur ?? 0, progress?.total ?? origSize)} data-testid="original-progress" />
        )}
        <button type="button" onClick={saveAs} disabled={!path} data-testid="viewer-save">{t("media_saveAs")}</button>
        <button type="button" onClick={onClose} data-testid="viewer-close">{t("close")}</button>
      </div>
      {note && <div className="viewer-note" role="status">{note}</div>}
    </div>
  );
}
