//! The rest of the message API (seed 001): cancel, find by locator, import/save, delete,
//! clear history, local custom data, merged messages, local search, batch send, and the C2C
//! receive options.
use std::sync::Arc;
use std::time::{Duration, Instant};

use confab_protocol::codes;
use confab_protocol::conv::MsgDeleteParam;
use confab_protocol::enums::{conv_event, conv_type, msg_status};
use confab_protocol::msg_ops::{MessageSearchParam, MessageSearchResult, MsgBatchSendParam, MsgBatchSendResult};
use confab_protocol::wire::Request;
use confab_protocol::{Elem, Message, MsgLocator};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::session::context::SessionCtx;
use crate::session::send_queue::{prepare, validate_outgoing};
use crate::store;
use crate::util::{new_msg_id, now_secs};

/// TIMMsgSetC2CReceiveMessageOpt: up to 30 users, enforced by the server.
pub async fn set_c2c_recv_opt(shared: &Arc<SessionCtx>, ids: Vec<String>, opt: u32) -> Result<()> {
    if ids.is_empty() || ids.len() > 30 {
        return Err(Error::InvalidParam("give 1 to 30 user ids".into()));
    }
    if opt > confab_protocol::enums::recv_msg_opt::NOT_NOTIFY {
        return Err(Error::InvalidParam(format!("unknown receive option {opt}")));
    }
    shared.rate_limit_recv_opt()?;
    shared.link.request(Request::SetC2CRecvOpt { user_ids: ids.clone(), opt }).await?;
    for id in &ids {
        shared.remember_recv_opt(conv_type::C2C, id, opt).await?;
    }
    Ok(())
}

/// TIMMsgGetC2CReceiveMessageOpt.
pub async fn get_c2c_recv_opt(shared: &Arc<SessionCtx>, ids: Vec<String>) -> Result<Value> {
    if ids.is_empty() || ids.len() > 30 {
        return Err(Error::InvalidParam("give 1 to 30 user ids".into()));
    }
    shared.rate_limit_recv_opt()?;
    shared.link.request(Request::GetC2CRecvOpt { user_ids: ids }).await
}

/// TIMMsgCancelSend: only a message not yet handed to the server can be cancelled.
pub fn cancel_send(shared: &SessionCtx, msg_id: &str) -> Result<()> {
    if shared.cancel_queued(msg_id) {
        Ok(())
    } else {
        Err(Error::Server(codes::ERR_SDK_INVALID_CANCEL_MESSAGE, "no message of that id is waiting to be sent".into()))
    }
}

/// TIMMsgFindByMsgLocatorList: match by seq + rand, or by time + rand for unsequenced messages.
pub async fn find_by_locators(
    shared: &Arc<SessionCtx>,
    ct: u32,
    id: &str,
    locs: Vec<MsgLocator>,
) -> Result<Vec<Message>> {
    let mut out = Vec::new();
    for l in locs {
        let found = shared
            .store
            .msg_at_locator(ct, id, l.message_locator_seq, l.message_locator_time, l.message_locator_rand)
            .await?;
        out.extend(found);
    }
    Ok(out)
}

/// TIMMsgImportMsgList / TIMMsgSaveMsg: write messages into the local store without sending.
pub async fn import(shared: &Arc<SessionCtx>, ct: u32, id: &str, msgs: Vec<Message>) -> Result<()> {
    if msgs.iter().any(|m| m.message_elem_array.is_empty()) {
        return Err(Error::InvalidParam("every imported message needs at least one element".into()));
    }
    let now = now_secs();
    let mut tx = shared.store.begin().await?;
    let created = store::ensure_conv(&mut tx, ct, id, now).await?;
    for mut m in msgs {
        if m.message_msg_id.is_empty() {
            m.message_msg_id = new_msg_id(&shared.me, now);
        }
        m.message_conv_id = id.to_string();
        m.message_conv_type = ct;
        if m.message_sender.is_empty() {
            m.message_sender = shared.me.clone();
        }
        if m.message_client_time == 0 && m.message_server_time == 0 {
            m.message_client_time = now;
        }
        m.message_is_from_self = m.message_sender == shared.me;
        m.message_status = msg_status::LOCAL_IMPORTED;
        m.message_is_read = true;
        store::put_msg(&mut tx, &m).await?;
    }
    tx.commit().await?;
    shared.emit_conv(if created { conv_event::ADD } else { conv_event::UPDATE }, ct, id).await;
    Ok(())
}

/// Mark messages deleted locally (kept as tombstones so roaming pages never bring them back).
async fn tombstone(shared: &Arc<SessionCtx>, ids: &[String]) -> Result<()> {
    let mut tx = shared.store.begin().await?;
    for id in ids {
        if let Some(mut m) = store::get_msg_in(&mut tx, id).await? {
            m.message_status = msg_status::DELETED;
            m.message_is_read = true;
            store::put_msg(&mut tx, &m).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// TIMMsgDelete: one message (or, with an empty message, the whole local history), locally or
/// also from roaming history.
pub async fn delete(shared: &Arc<SessionCtx>, ct: u32, id: &str, p: MsgDeleteParam) -> Result<()> {
    let target = p.msg_delete_param_msg.filter(|m| !m.message_msg_id.is_empty());
    let ids: Vec<String> = match &target {
        Some(m) => vec![m.message_msg_id.clone()],
        None => shared.store.visible_msg_ids(ct, id).await?,
    };
    if p.msg_delete_param_is_remble {
        if target.is_some() {
            shared
                .link
                .request(Request::DeleteMsgs { conv_type: ct, conv_id: id.into(), msg_ids: ids.clone() })
                .await?;
        } else {
            shared.link.request(Request::ClearHistory { conv_type: ct, conv_id: id.into() }).await?;
        }
    }
    tombstone(shared, &ids).await?;
    recount(shared, ct, id).await
}

/// TIMMsgListDelete: up to 30 messages, local and roaming, at most once per second.
pub async fn list_delete(shared: &Arc<SessionCtx>, ct: u32, id: &str, msgs: Vec<Message>) -> Result<()> {
    if msgs.is_empty() || msgs.len() > 30 {
        return Err(Error::InvalidParam("TIMMsgListDelete takes 1 to 30 messages".into()));
    }
    {
        let mut last = shared.last_list_delete.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t: Instant| t.elapsed() < Duration::from_secs(1)) {
            return Err(Error::Server(
                codes::ERR_SDK_COMM_API_CALL_FREQUENCY_LIMIT,
                "TIMMsgListDelete may be called once per second".into(),
            ));
        }
        *last = Some(Instant::now());
    }
    let ids: Vec<String> = msgs.into_iter().map(|m| m.message_msg_id).filter(|i| !i.is_empty()).collect();
    if ids.is_empty() {
        return Err(Error::InvalidParam("the messages need their message_msg_id".into()));
    }
    shared.link.request(Request::DeleteMsgs { conv_type: ct, conv_id: id.into(), msg_ids: ids.clone() }).await?;
    tombstone(shared, &ids).await?;
    recount(shared, ct, id).await
}

/// TIMMsgClearHistoryMessage: local and roaming history of a conversation.
pub async fn clear_history(shared: &Arc<SessionCtx>, ct: u32, id: &str) -> Result<()> {
    delete(shared, ct, id, MsgDeleteParam { msg_delete_param_msg: None, msg_delete_param_is_remble: true }).await
}

async fn recount(shared: &Arc<SessionCtx>, ct: u32, id: &str) -> Result<()> {
    let mut tx = shared.store.begin().await?;
    store::mark_read(&mut tx, ct, id, i64::MIN).await?;
    tx.commit().await?;
    shared.emit_conv(conv_event::UPDATE, ct, id).await;
    Ok(())
}

/// TIMMsgSetLocalCustomData: `message_custom_int` / `message_custom_str`, local only.
pub async fn set_local_custom_data(shared: &Arc<SessionCtx>, m: Message) -> Result<()> {
    let mut tx = shared.store.begin().await?;
    let Some(mut local) = store::get_msg_in(&mut tx, &m.message_msg_id).await? else {
        return Err(Error::Server(codes::ERR_SDK_COMM_DATABASE_NOTFOUND, "no such message".into()));
    };
    local.message_custom_int = m.message_custom_int;
    local.message_custom_str = m.message_custom_str;
    store::put_msg(&mut tx, &local).await?;
    tx.commit().await?;
    Ok(())
}

/// Merged-message nesting limit (8005 beyond it).
pub const MAX_MERGE_LAYERS: usize = 100;

fn merge_depth(m: &Message) -> usize {
    m.message_elem_array
        .iter()
        .filter_map(|e| match e {
            Elem::Merge(mg) => Some(1 + mg.merge_elem_message_array.iter().map(merge_depth).max().unwrap_or(0)),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// Checks for an outgoing merge element (≤ 300 sent messages, no tips/report, ≤ 100 layers).
pub fn validate_merge(m: &Message) -> Result<()> {
    for e in &m.message_elem_array {
        if let Elem::Merge(mg) = e {
            if mg.merge_elem_compatible_text.is_empty() {
                return Err(Error::InvalidParam("merge_elem_compatible_text must not be empty".into()));
            }
            if mg.merge_elem_message_array.is_empty() || mg.merge_elem_message_array.len() > 300 {
                return Err(Error::InvalidParam("a merged message holds 1 to 300 messages".into()));
            }
            for inner in &mg.merge_elem_message_array {
                if inner.message_status != msg_status::SEND_SUCC {
                    return Err(Error::InvalidParam("only sent messages can be merged".into()));
                }
                if inner.message_elem_array.iter().any(|x| matches!(x, Elem::GroupTips(_) | Elem::GroupReport(_))) {
                    return Err(Error::InvalidElem("group tips and reports cannot be merged".into()));
                }
            }
        }
    }
    if merge_depth(m) > MAX_MERGE_LAYERS {
        return Err(Error::Server(
            codes::ERR_MERGER_MSG_LAYERS_OVER_LIMIT,
            "merged messages nest more than 100 levels".into(),
        ));
    }
    Ok(())
}

/// TIMMsgDownloadMergerMessage: the inner messages of a merge element.
pub fn download_merger(m: &Message) -> Result<Vec<Message>> {
    if merge_depth(m) > MAX_MERGE_LAYERS {
        return Err(Error::Server(
            codes::ERR_MERGER_MSG_LAYERS_OVER_LIMIT,
            "merged messages nest more than 100 levels".into(),
        ));
    }
    m.message_elem_array
        .iter()
        .find_map(|e| match e {
            Elem::Merge(mg) if !mg.merge_elem_layer_over_limit => Some(mg.merge_elem_message_array.clone()),
            Elem::Merge(_) => None,
            _ => None,
        })
        .ok_or_else(|| Error::InvalidElem("the message has no downloadable merge element".into()))
}

/// TIMMsgSearchLocalMessages: the parameters are checked and resolved here (at most 5
/// keywords, `c2c_` / `group_` conversation ids, the time window); the search itself runs over
/// the store's search index (`store/search.rs`, migration 0003).
pub async fn search(shared: &Arc<SessionCtx>, p: MessageSearchParam) -> Result<MessageSearchResult> {
    let keywords: Vec<String> = p
        .msg_search_param_keyword_array
        .iter()
        .map(|k| k.replace('\0', "").trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    if keywords.len() > 5 {
        return Err(Error::InvalidParam("at most 5 keywords".into()));
    }
    if keywords.is_empty()
        && p.msg_search_param_message_type_array.is_empty()
        && p.msg_search_param_send_indentifier_array.is_empty()
    {
        return Err(Error::InvalidParam("give keywords, element types or senders to search for".into()));
    }
    let mut conv_id = p.msg_search_param_conv_id.clone();
    let mut ct = p.msg_search_param_conv_type;
    if let Some(rest) = conv_id.strip_prefix("c2c_") {
        (conv_id, ct) = (rest.to_string(), conv_type::C2C);
    } else if let Some(rest) = conv_id.strip_prefix("group_") {
        (conv_id, ct) = (rest.to_string(), conv_type::GROUP);
    }
    let end = if p.msg_search_param_search_time_position > 0 {
        store::search::index_time(p.msg_search_param_search_time_position.min(i64::MAX as u64) as i64)
    } else {
        store::search::MAX_KEY_TIME
    };
    let begin = if p.msg_search_param_search_time_period > 0 {
        end.saturating_sub(p.msg_search_param_search_time_period.min(i64::MAX as u64) as i64).max(0)
    } else {
        0
    };
    shared.store.search(&p, &keywords, ct, conv_id, begin, end).await
}

/// TIMMsgBatchSend: one message to many users, a result per user; 6003 when none succeeded.
pub async fn batch_send(shared: &Arc<SessionCtx>, p: MsgBatchSendParam) -> (Result<()>, Vec<MsgBatchSendResult>) {
    let ids = p.msg_batch_send_param_identifier_array;
    if ids.is_empty() || ids.len() > 500 {
        return (Err(Error::InvalidParam("give 1 to 500 recipients".into())), Vec::new());
    }
    if let Err(e) = validate_outgoing(&p.msg_batch_send_param_msg) {
        return (Err(e), Vec::new());
    }
    let mut waits = Vec::new();
    for user in &ids {
        let m = prepare(
            shared,
            conv_type::C2C,
            user,
            p.msg_batch_send_param_msg.clone(),
            new_msg_id(&shared.me, now_secs()),
        );
        let (tx, rx) = tokio::sync::oneshot::channel();
        match shared.enqueue_send(m, tx) {
            Ok(()) => waits.push((user.clone(), Some(rx))),
            Err(_) => waits.push((user.clone(), None)),
        }
    }
    let mut results = Vec::new();
    for (user, rx) in waits {
        let r = match rx {
            Some(rx) => rx.await.unwrap_or(Err(Error::NotLoggedIn)),
            None => Err(Error::NotLoggedIn),
        };
        results.push(match r {
            Ok(m) => MsgBatchSendResult {
                msg_batch_send_result_identifier: user,
                msg_batch_send_result_code: 0,
                msg_batch_send_result_desc: String::new(),
                msg_batch_send_result_msg: Some(m),
            },
            Err(e) => MsgBatchSendResult {
                msg_batch_send_result_identifier: user,
                msg_batch_send_result_code: e.code(),
                msg_batch_send_result_desc: e.to_string(),
                msg_batch_send_result_msg: None,
            },
        });
    }
    if results.iter().all(|r| r.msg_batch_send_result_code != 0) {
        return (
            Err(Error::Server(codes::ERR_NO_SUCC_RESULT, "the message reached none of the recipients".into())),
            results,
        );
    }
    (Ok(()), results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_protocol::MergeElem;

    fn wrap(inner: Message) -> Message {
        let mut m = Message::new(vec![Elem::Merge(MergeElem {
            merge_elem_title: "t".into(),
            merge_elem_compatible_text: "c".into(),
            merge_elem_message_array: vec![inner],
            ..Default::default()
        })]);
        m.message_status = msg_status::SEND_SUCC;
        m
    }

    #[test]
    fn test_merge_nesting_limit_is_100_layers() {
        let mut m = Message::new(vec![Elem::text("core")]);
        m.message_status = msg_status::SEND_SUCC;
        for _ in 0..100 {
            m = wrap(m);
        }
        assert_eq!(merge_depth(&m), 100);
        assert!(validate_merge(&m).is_ok());
        assert_eq!(download_merger(&m).unwrap().len(), 1);
        let m = wrap(m);
        assert_eq!(validate_merge(&m).unwrap_err().code(), codes::ERR_MERGER_MSG_LAYERS_OVER_LIMIT);
        assert_eq!(download_merger(&m).unwrap_err().code(), 8005);
    }
}
