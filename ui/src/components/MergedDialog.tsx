import { useEffect, useState } from "react";
import { useI18n } from "../i18n";
import { shell } from "../api/shell";
import { displayName, messagePreview } from "../lib/preview";
import { hm } from "../lib/time";
import { ElemType, type Elem, type Message } from "../tim/types";
import { Dialog } from "./Dialog";

/** The messages inside a merged message (TIMMsgDownloadMergerMessage); nested merged messages
 *  open in turn. */
export function MergedDialog({ m, title, onClose }: { m: Message; title: string; onClose: () => void }) {
  const { t } = useI18n();
  const [list, setList] = useState<Message[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [inner, setInner] = useState<{ m: Message; title: string } | null>(null);
  useEffect(() => {
    const { local_key: _k, ...msg } = m;
    void _k;
    shell
      .timCall("TIMMsgDownloadMergerMessage", { json_single_msg: msg })
      .then((r) => {
        if (r.result === 0 && r.code === 0 && Array.isArray(r.json)) setList(r.json as Message[]);
        else setError(t("errorCode", { code: r.code ?? r.result, message: r.desc || String(r.json ?? "") }));
      })
      .catch((e) => setError(String(e)));
  }, [m, t]);
  return (
    <Dialog title={title || t("media_merged")} onClose={onClose} testId="merged-dialog">
      <div className="merged-list">
        {!list && !error && <div className="muted">{t("media_loading")}</div>}
        {error && <div className="media-error" role="alert">{error}</div>}
        {list?.map((x, i) => {
          const merge = x.message_elem_array.find((e: Elem) => e.elem_type === ElemType.Merge);
          const time = x.message_server_time || x.message_client_time;
          return (
            <div key={x.message_msg_id || i} className="merged-item" data-testid="merged-item">
              <div className="merged-head">
                <b>{displayName(x)}</b>
                <span className="muted">{time ? hm(new Date(time * 1000)) : ""}</span>
              </div>
              {merge ? (
                <button type="button" className="link-btn" onClick={() => setInner({ m: x, title: merge.merge_elem_title ?? "" })}>
                  {merge.merge_elem_title || t("media_merged")}
                </button>
              ) : (
                <div className="merged-text">{messagePreview(x, t)}</div>
              )}
            </div>
          );
        })}
      </div>
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={onClose} data-autofocus>{t("close")}</button>
      </div>
      {inner && <MergedDialog m={inner.m} title={inner.title} onClose={() => setInner(null)} />}
    </Dialog>
  );
}
