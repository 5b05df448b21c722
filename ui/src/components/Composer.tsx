import { useEffect, useLayoutEffect, useRef, useState, type ClipboardEvent } from "react";
import { useI18n } from "../i18n";
import { shell } from "../api/shell";
import { EMOJI, insertAt } from "../lib/emoji";
import type { ConvInfo } from "../tim/types";
import { IconSmile } from "./Icons";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { media } from "../lib/mediaApi";
import { formatDuration, kindForFile } from "../lib/media";
import type { MediaKind } from "../bindings/shell";
import { AT_ALL, atUsers, filterMembers, insertMention, mentionQuery, type MentionMember } from "../lib/mention";
import { MentionPicker } from "./MentionPicker";
import { recordVoice, type VoiceRecording } from "../lib/voiceRecorder";

const icon = { width: 20, height: 20, viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", strokeWidth: 2, strokeLinecap: "round" as const, strokeLinejoin: "round" as const, "aria-hidden": true };
const IconImage = () => (
  <svg {...icon}><rect x="3" y="4" width="18" height="16" rx="2" /><circle cx="9" cy="10" r="2" /><path d="M21 16l-5-5-9 9" /></svg>
);
const IconPaperclip = () => (
  <svg {...icon}><path d="M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7L10 17.7a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9" /></svg>
);
const IconMic = () => (
  <svg {...icon}><rect x="9" y="3" width="6" height="11" rx="3" /><path d="M5 11a7 7 0 0 0 14 0M12 18v3" /></svg>
);

const IconMutedSmall = () => (
  <svg width={16} height={16} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" aria-hidden>
    <path d="M11 5 6 9H2v6h4l5 4V5z" /><path d="m23 9-6 6M17 9l6 6" />
  </svg>
);

export type SendMedia = (kind: MediaKind, path: string, duration?: number) => void;

/** Multi-line input: Enter sends, Shift+Enter adds a line; emoji picker; the draft is saved
 *  to the conversation when leaving it (TIMConvSetDraft) and cleared when sent or emptied.
 *  Media: image and file pickers, drag-and-drop (paths from the window), paste of images and
 *  files, and voice notes recorded from the microphone. */
/** @mentions in a group: its members (loaded by the chat), me, and whether I may @all. */
export interface MentionSource {
  members: MentionMember[];
  me: string;
  canAtAll: boolean;
}

/** `blocked`: why I may not write here now (muted): the input gives way to that line and the
 *  tools are disabled; the typed text is kept for when it opens again. */
export function Composer({ conv, onSend, onSendMedia, mention, blocked }: {
  conv: ConvInfo; onSend: (text: string, atUserIds?: string[]) => void; onSendMedia: SendMedia; mention?: MentionSource; blocked?: string | null;
}) {
  const { t } = useI18n();
  const initial = conv.conv_is_has_draft ? conv.conv_draft?.draft_msg.message_elem_array.map((e) => e.text_elem_content ?? "").join("") ?? "" : "";
  const [text, setText] = useState(initial);
  const [picker, setPicker] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const latest = useRef(text);
  latest.current = text;
  // @mentions: the query being typed, the highlighted option, and who was picked.
  const [mq, setMq] = useState<{ start: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const picked = useRef<MentionMember[]>([]);
  const options = mention && mq
    ? [
        ...(mention.canAtAll && (!mq.query || "all".startsWith(mq.query.toLowerCase())) ? [{ id: AT_ALL, name: "all" }] : []),
        ...filterMembers(mention.members, mq.query, mention.me),
      ]
    : [];
  // Where the caret goes once an inserted mention or emoji is rendered: set in a layout effect,
  // i.e. before the next keystroke is handled (a later frame could move it under the user's typing).
  const caretAfterRender = useRef<number | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    const caret = caretAfterRender.current;
    if (el && caret !== null) {
      caretAfterRender.current = null;
      el.focus();
      el.setSelectionRange(caret, caret);
    }
  }, [text]);

  const pickMention = (m: MentionMember) => {
    const el = ref.current;
    if (!mq) return;
    const caret = el?.selectionStart ?? text.length;
    const r = insertMention(text, mq.start, caret, m.name);
    picked.current = [...picked.current, m];
    setText(r.value);
    setMq(null);
    caretAfterRender.current = r.caret;
  };

  useEffect(() => {
    ref.current?.focus();
    const key = { conv_id: conv.conv_id, conv_type: conv.conv_type };
    const hadDraft = !!conv.conv_is_has_draft;
    return () => {
      const v = latest.current;
      if (v.trim()) void shell.convSetDraft(key, v).catch(() => {});
      else if (hadDraft) void shell.convCancelDraft(key).catch(() => {});
    };
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = Math.min(el.scrollHeight, 160) + "px";
  }, [text]);

  const [dragging, setDragging] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [rec, setRec] = useState<{ started: number; now: number } | null>(null);
  const recorder = useRef<VoiceRecording | null>(null);
  const sendMedia = useRef(onSendMedia);
  const sendFiles = useRef<(files: File[]) => Promise<void>>(async () => {});
  sendMedia.current = onSendMedia;
  const blockedRef = useRef(blocked);
  blockedRef.current = blocked;
  useEffect(() => {
    if (blocked) {
      setPicker(false);
      setMq(null);
    }
  }, [blocked]);

  // Files dropped on the window arrive as paths (Tauri's drag-drop event).
  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let gone = false;
    let shellDropAt = 0;
    getCurrentWebview()
      .onDragDropEvent((ev) => {
        const p = ev.payload;
        if (blockedRef.current) return setDragging(false);
        if (p.type === "enter" || p.type === "over") setDragging(true);
        else if (p.type === "leave") setDragging(false);
        else if (p.type === "drop") {
          shellDropAt = Date.now();
          setDragging(false);
          for (const path of p.paths) sendMedia.current(kindForFile(path), path);
        }
      })
      .then((u) => (gone ? u() : (unlisten = u)))
      .catch(() => {});
    // The page accepts dragged files outright, so the drag's target answers "copy" at once. A drop
    // the shell did not take (its tracking of the drag lost it between enter and drop) reaches the
    // page as a DOM drop instead: its files are sent from their bytes, like pasted ones.
    const onDragOver = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes("Files")) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    };
    const onDrop = (e: DragEvent) => {
      const files = Array.from(e.dataTransfer?.files ?? []);
      if (!files.length) return;
      e.preventDefault();
      setDragging(false);
      if (blockedRef.current) return;
      const at = Date.now();
      setTimeout(() => {
        if (!gone && shellDropAt < at - 1000) void sendFiles.current(files);
      }, 300);
    };
    window.addEventListener("dragover", onDragOver);
    window.addEventListener("drop", onDrop);
    return () => {
      gone = true;
      unlisten?.();
      window.removeEventListener("dragover", onDragOver);
      window.removeEventListener("drop", onDrop);
    };
  }, []);

  // Stop a recording (and the microphone) when the chat closes.
  useEffect(() => () => {
    recorder.current?.cancel();
    recorder.current = null;
  }, []);

  useEffect(() => {
    if (!notice) return;
    const id = setTimeout(() => setNotice(null), 8000);
    return () => clearTimeout(id);
  }, [notice]);

  useEffect(() => {
    if (!rec) return;
    const id = setInterval(() => setRec((r) => (r ? { ...r, now: Date.now() } : r)), 250);
    return () => clearInterval(id);
  }, [rec?.started]); // eslint-disable-line react-hooks/exhaustive-deps

  const pick = async (kind: MediaKind) => {
    try {
      for (const path of await media.pick(kind)) onSendMedia(kind === "image" ? "image" : kindForFile(path), path);
    } catch (e) {
      setNotice(String((e as { message?: string })?.message ?? e));
    }
  };

  /** Files the page holds (pasted, or dropped past the shell): written to the outbox, then sent. */
  sendFiles.current = async (files: File[]) => {
    for (const f of files) {
      const ext = f.type.split("/")[1]?.replace("jpeg", "jpg") ?? "bin";
      const name = f.name && f.name.includes(".") ? f.name : `pasted.${ext}`;
      try {
        const path = await media.writeTemp(name, f);
        sendMedia.current(kindForFile(name, f.type), path);
      } catch (e) {
        setNotice(String((e as { message?: string })?.message ?? e));
      }
    }
  };

  const onPaste = async (ev: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = Array.from(ev.clipboardData?.files ?? []);
    if (!files.length) return;
    ev.preventDefault();
    await sendFiles.current(files);
  };

  const startRecording = async () => {
    setNotice(null);
    if (!navigator.mediaDevices?.getUserMedia || !("AudioContext" in window)) {
      setNotice(t("composer_noMic"));
      return;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      const name = (e as { name?: string })?.name;
      setNotice(name === "NotAllowedError" || name === "SecurityError" ? t("composer_micDenied") : t("composer_noMic"));
      return;
    }
    try {
      // At the length limit the note is sent as it is.
      recorder.current = await recordVoice(stream, () => void stopRecording(true));
    } catch {
      stream.getTracks().forEach((tr) => tr.stop());
      setNotice(t("composer_noMic"));
      return;
    }
    const started = Date.now();
    setRec({ started, now: started });
  };

  const stopRecording = async (send: boolean) => {
    const r = recorder.current;
    if (!r) return;
    recorder.current = null;
    setRec(null);
    if (!send) {
      r.cancel();
      return;
    }
    const { wav, seconds } = r.finish();
    if (seconds < 1) {
      setNotice(t("composer_tooShort"));
      return;
    }
    try {
      const path = await media.writeTemp("voice.wav", new Blob([wav], { type: "audio/wav" }));
      sendMedia.current("sound", path, Math.round(seconds));
    } catch (e) {
      setNotice(String((e as { message?: string })?.message ?? e));
    }
  };

  const submit = () => {
    const v = text.replace(/\s+$/, "");
    if (!v.trim() || blocked) return;
    onSend(v, mention ? atUsers(v, picked.current) : undefined);
    picked.current = [];
    setMq(null);
    setText("");
    if (conv.conv_is_has_draft) void shell.convCancelDraft({ conv_id: conv.conv_id, conv_type: conv.conv_type }).catch(() => {});
  };

  const addEmoji = (e: string) => {
    const el = ref.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    const r = insertAt(text, start, end, e);
    setText(r.value);
    setPicker(false);
    caretAfterRender.current = r.caret;
  };

  return (
    <div className="composer" data-blocked={blocked ? "true" : undefined}>
      {dragging && <div className="drop-overlay" data-testid="drop-overlay">{t("composer_dropHere")}</div>}
      {notice && (
        <div className="composer-notice" role="alert" data-testid="composer-notice" onClick={() => setNotice(null)}>{notice}</div>
      )}
      {rec ? (
        <div className="recording" data-testid="recording">
          <span className="rec-dot" aria-hidden />
          <span>{t("composer_recording", { time: formatDuration((rec.now - rec.started) / 1000) })}</span>
          <button type="button" onClick={() => void stopRecording(false)}>{t("cancel")}</button>
          <button type="button" className="primary" onClick={() => void stopRecording(true)} data-testid="voice-send">{t("composer_stopSend")}</button>
        </div>
      ) : null}
      {picker && (
        <div className="emoji-picker" role="dialog" aria-label={t("emoji")} data-testid="emoji-picker"
          onKeyDown={(e) => e.key === "Escape" && setPicker(false)}>
          {EMOJI.map((e) => (
            <button type="button" key={e} onClick={() => addEmoji(e)} aria-label={e}>{e}</button>
          ))}
        </div>
      )}
      <button type="button" className="icon" aria-label={t("emoji")} title={t("emoji")} aria-expanded={picker} onClick={() => setPicker((p) => !p)} disabled={!!blocked} data-testid="emoji-button">
        <IconSmile />
      </button>
      <button type="button" className="icon" aria-label={t("composer_image")} title={t("composer_image")} onClick={() => void pick("image")} disabled={!!blocked} data-testid="pick-image">
        <IconImage />
      </button>
      <button type="button" className="icon" aria-label={t("composer_file")} title={t("composer_file")} onClick={() => void pick("file")} disabled={!!blocked} data-testid="pick-file">
        <IconPaperclip />
      </button>
      <button type="button" className="icon" aria-label={t("composer_voice")} title={t("composer_voice")} onClick={() => void startRecording()} disabled={!!rec || !!blocked} data-testid="record-voice">
        <IconMic />
      </button>
      {mention && mq && (
        <MentionPicker items={options} active={Math.min(active, Math.max(0, options.length - 1))} onPick={pickMention} onHover={setActive} />
      )}
      {blocked && (
        <div className="composer-blocked" role="status" data-testid="composer-blocked">
          <IconMutedSmall />
          <span>{blocked}</span>
        </div>
      )}
      <textarea
        ref={ref}
        hidden={!!blocked}
        disabled={!!blocked}
        value={text}
        aria-autocomplete={mention ? "list" : undefined}
        aria-controls={mention && mq ? "mention-picker" : undefined}
        aria-activedescendant={mention && mq && options.length ? `mention-opt-${Math.min(active, options.length - 1)}` : undefined}
        rows={1}
        placeholder={t("typeMessage")}
        aria-label={t("typeMessage")}
        onChange={(e) => {
          setText(e.target.value);
          if (mention) {
            const q = mentionQuery(e.target.value, e.target.selectionStart ?? e.target.value.length);
            setMq(q);
            if (q?.query !== mq?.query) setActive(0);
          }
        }}
        onPaste={(e) => void onPaste(e)}
        onKeyDown={(e) => {
          if (mention && mq && !e.nativeEvent.isComposing) {
            const n = options.length;
            if (e.key === "ArrowDown" && n) { e.preventDefault(); setActive((a) => (Math.min(a, n - 1) + 1) % n); return; }
            if (e.key === "ArrowUp" && n) { e.preventDefault(); setActive((a) => (Math.min(a, n - 1) + n - 1) % n); return; }
            if ((e.key === "Enter" || e.key === "Tab") && n) { e.preventDefault(); pickMention(options[Math.min(active, n - 1)]); return; }
            if (e.key === "Escape") { e.preventDefault(); setMq(null); return; }
          }
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
        data-testid="composer"
      />
      <button type="button" className="primary" onClick={submit} disabled={!text.trim() || !!blocked} data-testid="send">
        {t("send")}
      </button>
    </div>
  );
}
