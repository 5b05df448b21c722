import { useEffect, useState } from "react";
import { createPortal } from "react-dom";
import { useI18n } from "../i18n";
import { isCmdError } from "../api/shell";
import { fileUrl, playableUrl, useTierFile, useUploadProgress } from "../lib/mediaApi";
import { bubbleTier, formatDuration, formatSize, hasTier, imageBox, fitBox, percent } from "../lib/media";
import { elemPreview } from "../lib/preview";
import { ElemType, MsgStatus, type Elem, type Message } from "../tim/types";
import { FileActions, FileCard, useDownload } from "./FileCard";
import { ImageViewer } from "./ImageViewer";
import { MergedDialog } from "./MergedDialog";
import { VoiceBubble } from "./VoiceBubble";

/** Element types drawn without the bubble's padding and background. */
export const BARE_ELEMS: number[] = [ElemType.Image, ElemType.Video];

/** One non-text element of a message, drawn for its kind. */
export function MediaElem({ e, m }: { e: Elem; m: Message }) {
  const { t } = useI18n();
  const key = m.message_msg_id || m.local_key || "";
  const upload = useUploadProgress(m.message_status === MsgStatus.Sending ? m.message_msg_id : "");
  switch (e.elem_type) {
    case ElemType.Image:
      return <ImageElem e={e} msgKey={key} upload={upload} sending={m.message_status === MsgStatus.Sending} />;
    case ElemType.File:
      return <FileCard e={e} msgKey={key} upload={m.message_status === MsgStatus.Sending ? upload ?? { cur: 0, total: 0 } : null} />;
    case ElemType.Sound:
      return (
        <>
          <VoiceBubble e={e} m={m} />
          {m.message_status === MsgStatus.Sending && <UploadBar upload={upload} />}
        </>
      );
    case ElemType.Video:
      return <VideoElem e={e} msgKey={key} upload={upload} sending={m.message_status === MsgStatus.Sending} />;
    case ElemType.Location:
      return (
        <div className="location" data-testid="location">
          <span className="location-pin" aria-hidden>📍</span>
          <div>
            <div>{e.location_elem_desc || t("media_location")}</div>
            <div className="muted small">
              {Number(e.location_elem_latitude ?? 0).toFixed(5)}, {Number(e.location_elem_longitude ?? 0).toFixed(5)}
            </div>
          </div>
        </div>
      );
    case ElemType.Custom:
      return (
        <div className="custom-elem" data-testid="custom-elem">
          <div className="muted small">{t("media_custom")}</div>
          <div>{e.custom_elem_desc || (e.custom_elem_data ?? "").slice(0, 200)}</div>
        </div>
      );
    case ElemType.Merge:
      return <MergeElem e={e} m={m} />;
    default:
      return <span className="elem-placeholder">{elemPreview(e, t)}</span>;
  }
}

function UploadBar({ upload }: { upload: { cur: number; total: number } | null }) {
  const { t } = useI18n();
  const pct = upload ? percent(upload.cur, upload.total) : 0;
  return (
    <div className="upload-bar" data-testid="upload-progress" title={t("media_uploading", { pct })}>
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div style={{ width: `${pct}%` }} />
      </div>
      <span>{t("media_uploading", { pct })}</span>
    </div>
  );
}

function ImageElem({ e, msgKey, upload, sending }: { e: Elem; msgKey: string; upload: { cur: number; total: number } | null; sending: boolean }) {
  const { t } = useI18n();
  const tier = bubbleTier(e);
  const { file, error } = useTierFile(e, tier);
  const [open, setOpen] = useState(false);
  const box = imageBox(e);
  return (
    <>
      <button
        type="button"
        className="media-thumb"
        style={{ width: box.width, height: box.height }}
        onClick={() => tier && setOpen(true)}
        disabled={!tier}
        aria-label={t("media_image")}
        data-testid="image-thumb"
        data-loaded={file ? "true" : "false"}
      >
        {file ? (
          <img src={fileUrl(file.path)} alt={t("media_image")} width={box.width} height={box.height} draggable={false} />
        ) : (
          <span className="media-ph">{error ? t("media_failed") : sending ? "" : t("media_loading")}</span>
        )}
        {sending && <UploadBar upload={upload} />}
      </button>
      {open && createPortal(<ImageViewer e={e} progressKey={msgKey} onClose={() => setOpen(false)} />, document.body)}
    </>
  );
}

function VideoElem({ e, msgKey, upload, sending }: { e: Elem; msgKey: string; upload: { cur: number; total: number } | null; sending: boolean }) {
  const { t } = useI18n();
  const snap = useTierFile(e, hasTier(e, "snapshot") ? "snapshot" : null);
  const d = useDownload(e, "video", `video:${msgKey}`);
  const [playing, setPlaying] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => () => {
    if (playing) URL.revokeObjectURL(playing);
  }, [playing]);
  const w = Number(e.video_elem_image_width ?? 0);
  const h = Number(e.video_elem_image_height ?? 0);
  const box = fitBox(w, h, 280);
  const duration = Number(e.video_elem_video_duration ?? 0);
  const size = Number(e.video_elem_video_size ?? 0);
  const onError = (x: unknown) => setErr(isCmdError(x) ? t("errorCode", { code: x.code, message: x.message }) : String(x));
  const play = async () => {
    const f = await d.start();
    if (!f) return;
    try {
      setPlaying(await playableUrl(f.path));
    } catch (x) {
      onError(x);
    }
  };
  return (
    <div className="video-elem" data-testid="video" style={{ width: box.width }}>
      {playing ? (
        <video
          ref={(el) => {
            // Start at once (the autoplay attribute is not honoured for every source here).
            if (el && el.dataset.started !== "1") {
              el.dataset.started = "1";
              el.play().catch(() => {});
            }
          }}
          src={playing}
          controls
          style={{ width: box.width, height: box.height }}
          data-testid="video-player"
        />
      ) : (
        <button type="button" className="media-thumb video-thumb" style={{ width: box.width, height: box.height }} onClick={() => void play()}
          disabled={!hasTier(e, "video") || d.busy} aria-label={t("media_playVideo")} data-testid="video-thumb">
          {snap.file && <img src={fileUrl(snap.file.path)} alt="" width={box.width} height={box.height} draggable={false} />}
          <span className="video-play" aria-hidden>▶</span>
          <span className="video-duration">{formatDuration(duration)}{size ? ` · ${formatSize(size)}` : ""}</span>
          {d.busy && <span className="video-progress">{t("media_downloading", { pct: percent(d.progress?.cur ?? 0, d.progress?.total || size) })}</span>}
          {sending && <UploadBar upload={upload} />}
        </button>
      )}
      {d.file && <FileActions path={d.file.path} name={`video.${e.video_elem_video_type || "mp4"}`} onError={onError} />}
      {(err || !!d.error) && <div className="media-error" role="alert">{err ?? t("media_failed")}</div>}
    </div>
  );
}

function MergeElem({ e, m }: { e: Elem; m: Message }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const abstracts = Array.isArray(e.merge_elem_abstract_array) ? (e.merge_elem_abstract_array as string[]) : [];
  return (
    <>
      <button type="button" className="merge-card" onClick={() => setOpen(true)} data-testid="merge-card">
        <div className="merge-title">{e.merge_elem_title || t("media_merged")}</div>
        {abstracts.slice(0, 4).map((a, i) => <div key={i} className="merge-abstract">{a}</div>)}
        <div className="merge-foot">{t("media_mergedOpen")}</div>
      </button>
      {open && <MergedDialog m={m} title={e.merge_elem_title ?? ""} onClose={() => setOpen(false)} />}
    </>
  );
}
