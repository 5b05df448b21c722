//! Message calls: get list (local + roaming), report read, revoke, find. Sending is the send
//! queue's (`session/send_queue.rs`); the other message calls are `message_ops.rs`.
use std::sync::Arc;

use confab_protocol::conv::MsgGetMsgListParam;
use confab_protocol::enums::{conv_event, conv_type, msg_status};
use confab_protocol::wire::Request;
use confab_protocol::Message;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::session::context::{merge_server_fields, SessionCtx};
use crate::store::{self, SortKey};
use crate::util::now_secs;

pub const DEFAULT_PAGE: u32 = 20;
pub const MAX_PAGE: u32 = 100;

/// TIMMsgGetMsgList: local history, topped up from roaming history when asked.
pub async fn get_list(shared: &Arc<SessionCtx>, ct: u32, id: &str, p: MsgGetMsgListParam) -> Result<Vec<Message>> {
    let count = match p.msg_getmsglist_param_count {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    let forward = p.msg_getmsglist_param_is_forward;
    // Resolve the anchor: a message (excluded), else a group seq (included), else a time window.
    let anchor_msg = p.msg_getmsglist_param_last_msg.filter(|m| !m.message_msg_id.is_empty() || m.message_seq > 0);
    let mut inclusive = false;
    let mut anchor: Option<(SortKey, String)> = None;
    let mut anchor_seq: u64 = 0;
    if let Some(m) = &anchor_msg {
        let key = match shared.store.sort_key_of(&m.message_msg_id).await? {
            Some(k) => k,
            None => SortKey { time: store::sort_time(m), seq: m.message_seq as i64 },
        };
        anchor_seq = key.seq as u64;
        anchor = Some((key, m.message_msg_id.clone()));
    } else if ct == conv_type::GROUP && p.msg_getmsglist_param_last_msg_seq > 0 {
        anchor_seq = p.msg_getmsglist_param_last_msg_seq;
        inclusive = true;
        let t: Option<i64> = shared.store.sort_time_of_seq(ct, id, anchor_seq).await?;
        if let Some(t) = t {
            anchor = Some((
                SortKey { time: t, seq: anchor_seq as i64 },
                if forward { String::new() } else { "\u{10ffff}".into() },
            ));
        }
    } else if p.msg_getmsglist_param_time_begin > 0 {
        let begin = p.msg_getmsglist_param_time_begin as i64;
        let end = if p.msg_getmsglist_param_time_period > 0 {
            begin + p.msg_getmsglist_param_time_period as i64
        } else {
            i64::MAX
        };
        return shared.store.page_by_time(ct, id, begin, end, forward, count).await;
    }
    let local = shared.store.page(ct, id, anchor.clone(), forward, inclusive, count).await?;
    let roaming = p.msg_getmsglist_param_is_remble && ct != conv_type::SYSTEM;
    if !roaming || !shared.alive() || complete(&local, count, anchor_seq, forward, inclusive) {
        return Ok(local);
    }
    if anchor.is_some() && anchor_seq == 0 {
        // A local-only anchor (never sent) has no place in roaming history.
        return Ok(local);
    }
    let req = Request::History {
        conv_type: ct,
        conv_id: id.to_string(),
        anchor_seq,
        forward,
        include_anchor: inclusive,
        count,
    };
    let v = shared.link.request(req).await?;
    let msgs: Vec<Message> = serde_json::from_value(v.get("msgs").cloned().unwrap_or(Value::Array(vec![])))
        .map_err(|e| Error::Server(confab_protocol::codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))?;
    if !msgs.is_empty() {
        let mut tx = shared.store.begin().await?;
        store::ensure_conv(&mut tx, ct, id, now_secs()).await?;
        for mut m in msgs {
            // Never a path from elsewhere (S-1); our own sends keep theirs through the merge.
            confab_protocol::message::clear_local_paths(&mut m.message_elem_array);
            if let Some(local) = store::get_msg_in(&mut tx, &m.message_msg_id).await? {
                // Keep what this device knows (read state, local data, deletions).
                if local.message_status == msg_status::DELETED {
                    continue;
                }
                let merged = merge_server_fields(local, m);
                store::put_msg(&mut tx, &merged).await?;
            } else {
                // Roaming history is history: it does not raise the unread count.
                m.message_is_read = true;
                m.message_is_from_self = m.message_sender == shared.me;
                store::put_msg(&mut tx, &m).await?;
            }
        }
        tx.commit().await?;
    }
    shared.store.page(ct, id, anchor, forward, inclusive, count).await
}

/// Whether a local page already holds `count` consecutive seqs next to the anchor.
fn complete(page: &[Message], count: u32, anchor_seq: u64, forward: bool, inclusive: bool) -> bool {
    if page.len() < count as usize {
        return false;
    }
    let seqs: Vec<u64> = page.iter().map(|m| m.message_seq).collect();
    if seqs.contains(&0) {
        return false;
    }
    let step_ok = seqs.windows(2).all(|w| if forward { w[1] == w[0] + 1 } else { w[0] == w[1] + 1 });
    let first_ok = match (anchor_seq, forward, inclusive) {
        (0, false, _) => true,
        (a, false, false) => seqs[0] + 1 == a,
        (a, true, false) => seqs[0] == a + 1,
        (a, _, true) => seqs[0] == a,
    };
    step_ok && first_ok
}

/// TIMMsgReportReaded: local unread to zero (up to the message's time), and tell the server.
pub async fn report_read(shared: &Arc<SessionCtx>, ct: u32, id: &str, msg: Option<Message>) -> Result<()> {
    if !shared.store.conv_exists(ct, id).await? {
        return Err(Error::Server(confab_protocol::codes::ERR_INVALID_CONVERSATION, "no such conversation".into()));
    }
    let time = match msg.filter(|m| m.message_server_time > 0 || m.message_client_time > 0) {
        Some(m) => store::sort_time(&m),
        None => {
            let newest = shared.store.page(ct, id, None, false, false, 1).await?;
            newest.first().map(store::sort_time).unwrap_or(now_secs() as i64)
        }
    };
    let mut tx = shared.store.begin().await?;
    store::mark_read(&mut tx, ct, id, time).await?;
    tx.commit().await?;
    shared.emit_conv(conv_event::UPDATE, ct, id).await;
    if ct == conv_type::C2C || ct == conv_type::GROUP {
        shared
            .link
            .request(Request::ReportRead { conv_type: ct, conv_id: id.to_string(), time: time.max(0) as u64 })
            .await?;
    }
    Ok(())
}

pub async fn revoke(shared: &Arc<SessionCtx>, ct: u32, id: &str, msg: Message) -> Result<()> {
    if msg.message_msg_id.is_empty() {
        return Err(Error::InvalidParam("the message to revoke needs its message_msg_id".into()));
    }
    if msg.message_is_online_msg {
        return Err(Error::InvalidParam("online-only messages cannot be revoked".into()));
    }
    shared
        .link
        .request(Request::Revoke { conv_type: ct, conv_id: id.to_string(), msg_id: msg.message_msg_id.clone() })
        .await?;
    let mut tx = shared.store.begin().await?;
    if let Some(mut m) = store::get_msg_in(&mut tx, &msg.message_msg_id).await? {
        m.message_status = msg_status::REVOKED;
        // I revoked it. The server's revoke notification (also sent to me, possibly already
        // applied) brings my nick name and face URL as the server knows them.
        if m.message_revoker_user_id.is_empty() {
            m.message_revoker_user_id = shared.me.clone();
        }
        store::put_msg(&mut tx, &m).await?;
    }
    tx.commit().await?;
    shared.emit_conv(conv_event::UPDATE, ct, id).await;
    Ok(())
}

pub async fn find(shared: &Arc<SessionCtx>, ids: &[String]) -> Result<Vec<Message>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(m) = shared.store.get_msg(id).await? {
            out.push(m);
        }
    }
    Ok(out)
}
