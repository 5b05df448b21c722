import { useEffect, useRef, useState } from "react";
import { useI18n } from "../i18n";
import { shell } from "../api/shell";
import { EMOJI, insertAt } from "../lib/emoji";
import type { ConvInfo } from "../tim/types";
import { IconSmile } from "./Icons";

/** Multi-line input: Enter sends, Shift+Enter adds a line; emoji picker; the draft is saved
 *  to the conversation when leaving it (TIMConvSetDraft) and cleared when sent or emptied. */
export function Composer({ conv, onSend }: { conv: ConvInfo; onSend: (text: string) => void }) {
  const { t } = useI18n();
  const initial = conv.conv_is_has_draft ? conv.conv_draft?.draft_msg.message_elem_array.map((e) => e.text_elem_content ?? "").join("") ?? "" : "";
  const [text, setText] = useState(initial);
  const [picker, setPicker] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const latest = useRef(text);
  latest.current = text;

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

  const submit = () => {
    const v = text.replace(/\s+$/, "");
    if (!v.trim()) return;
    onSend(v);
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
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(r.caret, r.caret);
    });
  };

  return (
    <div className="composer">
      {picker && (
        <div className="emoji-picker" role="dialog" aria-label={t("emoji")} data-testid="emoji-picker"
          onKeyDown={(e) => e.key === "Escape" && setPicker(false)}>
          {EMOJI.map((e) => (
            <button type="button" key={e} onClick={() => addEmoji(e)} aria-label={e}>{e}</button>
          ))}
        </div>
      )}
      <button type="button" className="icon" aria-label={t("emoji")} title={t("emoji")} aria-expanded={picker} onClick={() => setPicker((p) => !p)} data-testid="emoji-button">
        <IconSmile />
      </button>
      <textarea
        ref={ref}
        value={text}
        rows={1}
        placeholder={t("typeMessage")}
        aria-label={t("typeMessage")}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
        data-testid="composer"
      />
      <button type="button" className="primary" onClick={submit} disabled={!text.trim()} data-testid="send">
        {t("send")}
      </button>
    </div>
  );
}
