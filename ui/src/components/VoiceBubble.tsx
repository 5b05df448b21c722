import { useEffect, useRef, useState } from "react";
import { useI18n } from "../i18n";
import { shell } from "../api/shell";
import { fetchTier, playableUrl } from "../lib/mediaApi";
import { formatDuration, markPlayed, voiceUnplayed } from "../lib/media";
import type { Elem, Message } from "../tim/types";

/** A voice note: play / pause, its duration, and for a received one a dot until it is first
 *  played (kept on this device: TIMMsgSetLocalCustomData, message_custom_int = 1). */
export function VoiceBubble({ e, m }: { e: Elem; m: Message }) {
  const { t } = useI18n();
  const [unplayed, setUnplayed] = useState(() => voiceUnplayed(m));
  const [src, setSrc] = useState<string | null>(null);
  const [playing, setPlaying] = useState(false);
  const [error, setError] = useState(false);
  const [pos, setPos] = useState(0);
  const audio = useRef<HTMLAudioElement>(null);
  const duration = e.sound_elem_file_time ?? 0;
  const ready = !!(e.sound_elem_file_id || e.sound_elem_url);

  useEffect(() => setUnplayed(voiceUnplayed(m)), [m]);
  useEffect(() => () => {
    if (src) URL.revokeObjectURL(src);
  }, [src]);

  useEffect(() => {
    if (src && audio.current) {
      audio.current.play().catch(() => {
        setPlaying(false);
        setError(true);
      });
    }
  }, [src]);

  const toggle = async () => {
    if (unplayed) {
      setUnplayed(false);
      void shell.timCall("TIMMsgSetLocalCustomData", { json_msg_param: markPlayed(m) }).catch(() => {});
    }
    const a = audio.current;
    if (playing && a) {
      a.pause();
      return;
    }
    setError(false);
    if (src && a) {
      a.currentTime = a.ended ? 0 : a.currentTime;
      a.play().catch(() => setError(true));
      return;
    }
    try {
      const f = await fetchTier(e, "sound");
      setSrc(await playableUrl(f.path));
    } catch {
      setError(true);
    }
  };

  return (
    <div className="voice" data-testid="voice" data-playing={playing ? "true" : "false"} data-unplayed={unplayed ? "true" : "false"}>
      <button
        type="button"
        className="voice-play"
        onClick={() => void toggle()}
        disabled={!ready}
        aria-label={playing ? t("media_pause") : t("media_play")}
        title={playing ? t("media_pause") : t("media_play")}
        data-testid="voice-play"
      >
        {playing ? "❚❚" : "▶"}
      </button>
      <span className="voice-wave" aria-hidden>
        {Array.from({ length: Math.min(18, 4 + Math.round(duration)) }, (_, i) => <i key={i} style={{ height: `${6 + ((i * 7) % 11)}px` }} />)}
      </span>
      <span className="voice-time" data-testid="voice-duration">
        {playing ? `${formatDuration(pos)} / ` : ""}{formatDuration(duration)}
      </span>
      {unplayed && <span className="unplayed-dot" title={t("media_unplayed")} aria-label={t("media_unplayed")} data-testid="voice-unplayed" />}
      {error && <span className="media-error" role="alert">{t("media_playFailed")}</span>}
      {src && (
        <audio
          ref={audio}
          src={src}
          preload="auto"
          onPlay={() => setPlaying(true)}
          onPause={() => setPlaying(false)}
          onEnded={() => {
            setPlaying(false);
            setPos(0);
          }}
          onTimeUpdate={(ev) => setPos(Math.floor(ev.currentTarget.currentTime))}
          onError={() => {
            setPlaying(false);
            setError(true);
          }}
        />
      )}
    </div>
  );
}
