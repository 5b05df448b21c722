//! Request handlers: one function per request family. Every rule is enforced here; nothing a
//! client says about who it is, what it may do or what a message looks like is trusted.
use std::sync::Arc;

use confab_protocol::enums::{conv_type, elem_type, member_role, msg_status};
use confab_protocol::wire::{
    is_valid_msg_id, is_valid_user_id, ConvPin, Event, LoginResult, Push, Request, SyncResult,
};
use confab_protocol::{codes, Elem, Message, MessageReceipt, MsgLocator, UserProfile, UserProfileItem};
use rand::Rng;
use serde_json::{json, Value};
use sqlx::Row;
use tokio::sync::mpsc;

use crate::config::now_secs;
use crate::groups::{self, group_exists, member_role_of};
use crate::hub::{Outbound, SessionEntry};
use crate::store::{render_for, MsgRow, Revoker, StoreError, StoredEvent, MSG_COLUMNS};
use crate::{accounts, usersig, State};

#[derive(Debug)]
pub(crate) struct ApiError(pub i32, pub String);

pub(crate) fn e(code: i32, desc: impl Into<String>) -> ApiError {
    ApiError(code, desc.into())
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Refused(c, d) => ApiError(c, d),
            other => {
                tracing::error!(error = %other, "storage failure");
                ApiError(codes::ERR_SVR_MSG_INTERNAL_ERROR1, "internal storage error".into())
            }
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::from(err).into()
    }
}

pub(crate) type ApiResult = Result<Value, ApiError>;

/// The authenticated side of a connection.
pub(crate) struct Session {
    pub user_id: String,
    pub expires_at: i64,
}

/// Largest serialized element array the server stores (the SDK enforces 8 KB of content, 8001).
const MAX_BODY_BYTES: usize = 12 * 1024;
/// Largest stored element array, merged records included.
const MAX_STORED_BYTES: usize = 512 * 1024;
const HISTORY_MAX: u32 = 100;
const SYNC_PAGE: i64 = 200;

pub(crate) async fn handle(
    state: &Arc<State>,
    session: &mut Option<Session>,
    conn_id: u64,
    out_tx: &mpsc::UnboundedSender<Outbound>,
    req: Request,
) -> ApiResult {
    match req {
        Request::Ping => Ok(json!({"server_time": now_secs()})),
        Request::Register { user_id, password, nick_name } => {
            accounts::register(state, &user_id, &password, &nick_name)
                .await
                .map(|a| json!(a))
                .map_err(|accounts::AccountError(c, d)| ApiError(c, d))
        }
        Request::PasswordLogin { user_id, password } => accounts::password_login(state, &user_id, &password)
            .await
            .map(|a| json!(a))
            .map_err(|accounts::AccountError(c, d)| ApiError(c, d)),
        Request::Login { sdk_app_id, user_id, user_sig, platform, instance_id, resume } => {
            login(state, session, conn_id, out_tx, sdk_app_id, &user_id, &user_sig, platform, &instance_id, resume)
                .await
        }
        other => {
            let Some(s) = session.as_ref() else {
                return Err(e(codes::ERR_SDK_NOT_LOGGED_IN, "not logged in"));
            };
            let me = s.user_id.clone();
            match other {
                Request::Logout => {
                    logout(state, &me, conn_id).await?;
                    *session = None;
                    Ok(Value::Null)
                }
                Request::SendMsg { conv_type, conv_id, msg } => send_msg(state, &me, conv_type, &conv_id, msg).await,
                Request::Sync { after } => sync(state, &me, after).await,
                Request::History { conv_type, conv_id, anchor_seq, forward, include_anchor, count } => {
                    history(state, &me, conv_type, &conv_id, anchor_seq, forward, include_anchor, count).await
                }
                Request::ReportRead { conv_type, conv_id, time } => {
                    report_read(state, &me, conv_type, &conv_id, time).await
                }
                Request::Revoke { conv_type, conv_id, msg_id } => {
                    revoke(state, &me, conv_type, &conv_id, &msg_id).await
                }
                Request::DeleteMsgs { conv_type, conv_id, msg_ids } => {
                    delete_msgs(state, &me, conv_type, &conv_id, msg_ids).await
                }
                Request::ClearHistory { conv_type, conv_id } => clear_history(state, &me, conv_type, &conv_id).await,
                Request::SetC2CRecvOpt { user_ids, opt } => set_c2c_recv_opt(state, &me, user_ids, opt).await,
                Request::GetC2CRecvOpt { user_ids } => get_c2c_recv_opt(state, &me, &user_ids).await,
                Request::GetProfiles { user_ids } => get_profiles(state, &user_ids).await,
                Request::ModifySelfProfile { item } => modify_profile(state, &me, item).await,
                r @ (Request::CreateGroup { .. }
                | Request::JoinedGroups
                | Request::DeleteGroup { .. }
                | Request::JoinGroup { .. }
                | Request::QuitGroup { .. }
                | Request::InviteMembers { .. }
                | Request::DeleteMembers { .. }
                | Request::GroupInfo { .. }
                | Request::ModifyGroupInfo { .. }
                | Request::MemberInfoList { .. }
                | Request::ModifyMemberInfo { .. }
                | Request::GroupPendencyList { .. }
                | Request::GroupPendencyRead { .. }
                | Request::HandleGroupPendency { .. }
                | Request::SetGroupRecvOpt { .. }) => groups::handle(state, &me, r).await,
                Request::MediaUrl { content_id } => crate::media::signed_url(state, &me, &content_id).await,
                Request::PinConv { conv_type, conv_id, pinned } => {
                    pin_conv(state, &me, conv_type, conv_id, pinned).await
                }
                Request::PinnedConvs => pinned_convs(state, &me).await,
                Request::Ping | Request::Register { .. } | Request::PasswordLogin { .. } | Request::Login { .. } => {
                    unreachable!("handled above")
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn login(
    state: &Arc<State>,
    session: &mut Option<Session>,
    conn_id: u64,
    out_tx: &mpsc::UnboundedSender<Outbound>,
    sdk_app_id: u64,
    user_id: &str,
    user_sig: &str,
    platform: u32,
    instance_id: &str,
    resume: bool,
) -> ApiResult {
    if session.is_some() {
        return Err(e(codes::ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS, "this connection is already logged in"));
    }
    if !is_valid_user_id(user_id) {
        return Err(e(codes::ERR_SDK_COMM_INVALID_IDENTIFIER, "invalid user id"));
    }
    if state.refused_users.lock().unwrap_or_else(|p| p.into_inner()).contains(user_id) {
        return Err(e(codes::ERR_SDK_NET_CONN_REFUSE, "connection refused"));
    }
    if instance_id.is_empty() || instance_id.len() > 64 {
        return Err(e(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "invalid instance id"));
    }
    let ident = &state.cfg.identity;
    if sdk_app_id != ident.sdk_app_id {
        return Err(e(codes::ERR_SVR_ACCOUNT_USERSIG_MISMATCH_SDKAPPID, "unknown SDKAppID"));
    }
    let verified = usersig::verify(ident.sdk_app_id, &ident.secret_key, user_id, user_sig, now_secs() as i64)
        .map_err(|err| e(err.code(), err.to_string()))?;
    let (user, inst, hub) = (user_id.to_string(), instance_id.to_string(), state.hub.clone());
    let outcome = state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                sqlx::query("INSERT OR IGNORE INTO users (user_id, created_at) VALUES (?, ?)")
                    .bind(&user)
                    .bind(now_secs() as i64)
                    .execute(&mut ctx.conn)
                    .await?;
                let slot: Option<String> = sqlx::query_scalar("SELECT instance_id FROM device_slots WHERE user_id = ? AND platform = ?")
                    .bind(&user)
                    .bind(platform as i64)
                    .fetch_optional(&mut ctx.conn)
                    .await?;
                if resume {
                    // An automatic reconnect never displaces another device.
                    if slot.as_deref().is_some_and(|s| s != inst) {
                        return Ok(Err(codes::ERR_LOGIN_KICKED_OFF_BY_OTHER));
                    }
                } else {
                    let flagged = sqlx::query("DELETE FROM kicked_instances WHERE user_id = ? AND instance_id = ?")
                        .bind(&user)
                        .bind(&inst)
                        .execute(&mut ctx.conn)
                        .await?
                        .rows_affected()
                        > 0;
                    if flagged {
                        return Ok(Err(codes::ERR_LOGIN_KICKED_OFF_BY_OTHER));
                    }
                    let other_online = hub.displace(&user, platform, &inst, conn_id);
                    if let Some(holder) = slot.filter(|s| *s != inst) {
                        if !other_online {
                            sqlx::query("INSERT OR IGNORE INTO kicked_instances (user_id, instance_id) VALUES (?, ?)")
                                .bind(&user)
                                .bind(&holder)
                                .execute(&mut ctx.conn)
                                .await?;
                        }
                    }
                }
                sqlx::query("INSERT INTO device_slots (user_id, platform, instance_id) VALUES (?, ?, ?) ON CONFLICT (user_id, platform) DO UPDATE SET instance_id = excluded.instance_id")
                    .bind(&user)
                    .bind(platform as i64)
                    .bind(&inst)
                    .execute(&mut ctx.conn)
                    .await?;
                let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM inbox WHERE user_id = ?")
                    .bind(&user)
                    .fetch_one(&mut ctx.conn)
                    .await?;
                Ok(Ok(latest.unwrap_or(0) as u64))
            })
        })
        .await?;
    let latest_seq = match outcome {
        Ok(s) => s,
        Err(code) => return Err(e(code, "this account was signed in on another device; log in again to take over")),
    };
    state.hub.register(
        user_id,
        SessionEntry { conn_id, platform, instance_id: instance_id.to_string(), tx: out_tx.clone() },
    );
    *session = Some(Session { user_id: user_id.to_string(), expires_at: verified.expires_at });
    tracing::info!(conn_id, "session logged in");
    Ok(json!(LoginResult { server_time: now_secs(), latest_seq, revoke_window: state.cfg.revoke_window.as_secs() }))
}

async fn logout(state: &Arc<State>, me: &str, conn_id: u64) -> Result<(), ApiError> {
    state.hub.unregister(me, conn_id);
    Ok(())
}

pub(crate) fn c2c_key(a: &str, b: &str) -> String {
    if a <= b {
        format!("{a}\n{b}")
    } else {
        format!("{b}\n{a}")
    }
}

pub(crate) async fn user_exists(state: &State, user: &str) -> Result<bool, ApiError> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT 1 FROM users WHERE user_id = ?")
        .bind(user)
        .fetch_optional(&state.store.read)
        .await?
        .is_some())
}

/// Resolve the conversation `me` names, check `me` may use it, and list who takes part.
async fn conversation(state: &State, me: &str, ct: u32, conv_id: &str) -> Result<(String, Vec<String>), ApiError> {
    match ct {
        conv_type::C2C => {
            if !is_valid_user_id(conv_id) {
                return Err(e(codes::ERR_SVR_MSG_INVALID_ID, "invalid peer user id"));
            }
            if !user_exists(state, conv_id).await? {
                return Err(e(codes::ERR_SVR_MSG_INVALID_ID, "no such user"));
            }
            let mut parts = vec![me.to_string()];
            if conv_id != me {
                parts.push(conv_id.to_string());
            }
            Ok((c2c_key(me, conv_id), parts))
        }
        conv_type::GROUP => {
            if !group_exists(state, conv_id).await? {
                return Err(e(codes::ERR_SVR_GROUP_NOT_FOUND, "no such group"));
            }
            if member_role_of(state, conv_id, me).await?.is_none() {
                return Err(e(codes::ERR_SVR_GROUP_PERMISSION_DENY, "not a member of this group"));
            }
            let members: Vec<String> = sqlx::query_scalar("SELECT user_id FROM group_members WHERE group_id = ?")
                .bind(conv_id)
                .fetch_all(&state.store.read)
                .await?;
            Ok((conv_id.to_string(), members))
        }
        _ => Err(e(codes::ERR_INVALID_CONVERSATION, "conversation type must be C2C (1) or group (2)")),
    }
}

/// Apply the content hook; returns whether anything changed.
fn filter_words(words: &[String], elems: &mut [Elem]) -> bool {
    let mut changed = false;
    for el in elems.iter_mut() {
        if let Elem::Text(t) = el {
            for w in words.iter().filter(|w| !w.is_empty()) {
                if t.text_elem_content.contains(w.as_str()) {
                    t.text_elem_content = t.text_elem_content.replace(w.as_str(), &"*".repeat(w.chars().count()));
                    changed = true;
                }
            }
        }
    }
    changed
}

async fn sender_profile(state: &State, user: &str) -> Result<UserProfile, ApiError> {
    Ok(crate::store::load_profile(&state.store.read, user).await?)
}

async fn send_msg(state: &Arc<State>, me: &str, ct: u32, conv_id: &str, msg: Message) -> ApiResult {
    if msg.message_elem_array.is_empty() {
        return Err(e(codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT, "message has no elements"));
    }
    for el in &msg.message_elem_array {
        match el.elem_type() {
            elem_type::GROUP_TIPS | elem_type::GROUP_REPORT | elem_type::FRIEND_CHANGE | elem_type::PROFILE_CHANGE => {
                return Err(e(
                    codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                    "this element type cannot be sent by a client",
                ));
            }
            t if !(0..=12).contains(&t) => {
                return Err(e(codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT, "unknown element type"))
            }
            _ => {}
        }
    }
    if !is_valid_msg_id(&msg.message_msg_id) {
        return Err(e(codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT, "invalid message id"));
    }
    // The TIM body limit counts content; merged records ride outside it but the whole stored
    // message is capped too.
    let body_len = serde_json::to_vec(&msg.message_elem_array).map(|v| v.len()).unwrap_or(usize::MAX);
    if confab_protocol::message::content_bytes(&msg.message_elem_array) > MAX_BODY_BYTES || body_len > MAX_STORED_BYTES
    {
        return Err(e(codes::ERR_SVR_COMM_BODY_SIZE_LIMIT, "message body is too large"));
    }
    let (conv_key, mut recipients) = conversation(state, me, ct, conv_id).await?;
    let media_ids = crate::media::check_elems(state, me, &msg.message_elem_array).await?;
    if ct == conv_type::C2C && conv_id != me {
        // A peer who chose "do not receive" from me is not delivered to (the message is still
        // stored for my own history).
        let opt: Option<i64> = sqlx::query_scalar("SELECT opt FROM c2c_recv_opts WHERE user_id = ? AND peer = ?")
            .bind(conv_id)
            .bind(me)
            .fetch_optional(&state.store.read)
            .await?;
        if opt == Some(i64::from(confab_protocol::enums::recv_msg_opt::NOT_RECEIVE)) {
            recipients.retain(|r| r != conv_id);
        }
    }
    // Group rules of sending: mutes, receive options, and AVChatRoom's online-only delivery.
    let mut online_only = false;
    if ct == conv_type::GROUP {
        let gate = groups::send_gate(state, conv_id, me).await?;
        recipients = gate.recipients;
        online_only = gate.online_only;
        // The group's rate: lower priorities are refused first. A retry of a message already
        // committed is answered with what was stored, whatever the rate.
        if !state.group_throttle.admit(conv_id, msg.message_priority) {
            let stored: Option<i64> = sqlx::query_scalar("SELECT 1 FROM messages WHERE msg_id = ?")
                .bind(&msg.message_msg_id)
                .fetch_optional(&state.store.read)
                .await?;
            if stored.is_none() {
                return Err(e(
                    codes::ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT,
                    "this group is receiving more messages than its rate allows; try again shortly",
                ));
            }
        }
    }
    let profile = sender_profile(state, me).await?;
    let now = now_secs();
    let mut stored = Message {
        message_elem_array: msg.message_elem_array,
        message_conv_id: conv_id.to_string(),
        message_conv_type: ct,
        message_sender: me.to_string(),
        message_priority: msg.message_priority.min(3),
        message_client_time: msg.message_client_time,
        message_server_time: now,
        message_platform: msg.message_platform,
        message_is_online_msg: msg.message_is_online_msg,
        message_status: msg_status::SEND_SUCC,
        message_msg_id: msg.message_msg_id,
        message_rand: if msg.message_rand != 0 { msg.message_rand } else { rand::thread_rng().gen::<u32>() as u64 },
        message_cloud_custom_str: msg.message_cloud_custom_str,
        message_is_excluded_from_unread_count: msg.message_is_excluded_from_unread_count,
        message_group_at_user_array: msg.message_group_at_user_array,
        message_is_forward_message: msg.message_is_forward_message,
        message_sender_profile: Some(profile),
        message_offlie_push_config: msg.message_offlie_push_config,
        message_excluded_from_last_message: msg.message_excluded_from_last_message,
        message_need_read_receipt: msg.message_need_read_receipt,
        // A 64-bit id with the top bits set, so that clients must keep it integral.
        message_unique_id: (1u64 << 62) | (rand::thread_rng().gen::<u64>() >> 2),
        ..Default::default()
    };
    let changed = filter_words(&state.cfg.word_filter, &mut stored.message_elem_array);
    if stored.message_is_online_msg || online_only {
        // Online-only: not stored, not sequenced, delivered to whoever is online now (its media
        // still becomes fetchable by the conversation's participants).
        crate::media::add_refs(state, media_ids, ct, &conv_key).await?;
        for r in &recipients {
            let mut m = stored.clone();
            render_for(&mut m, r);
            state.hub.push(r, Push { seq: 0, event: Event::NewMsg { msg: m } });
        }
        let mut m = stored;
        render_for(&mut m, me);
        return Ok(json!(m));
    }
    let me_s = me.to_string();
    let result = state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let existing = sqlx::query(&format!("SELECT {MSG_COLUMNS} FROM messages WHERE msg_id = ?"))
                    .bind(&stored.message_msg_id)
                    .fetch_optional(&mut ctx.conn)
                    .await?;
                if let Some(row) = existing {
                    let row = MsgRow::from_row(&row);
                    if row.sender != me_s {
                        return Err(StoreError::Refused(codes::ERR_SVR_MSG_PKG_PARSE_FAILED, "message id already in use".into()));
                    }
                    // A retry of a message already committed: answer with what was stored.
                    return row.render(&me_s);
                }
                stored.message_seq = ctx.next_conv_seq(ct, &conv_key).await?;
                let body = serde_json::to_string(&stored).map_err(|err| StoreError::Corrupt(err.to_string()))?;
                let id = sqlx::query("INSERT INTO messages (msg_id, conv_type, conv_key, seq, sender, server_time, body) VALUES (?, ?, ?, ?, ?, ?, ?)")
                    .bind(&stored.message_msg_id)
                    .bind(ct as i64)
                    .bind(&conv_key)
                    .bind(stored.message_seq as i64)
                    .bind(&me_s)
                    .bind(stored.message_server_time as i64)
                    .bind(body)
                    .execute(&mut ctx.conn)
                    .await?
                    .last_insert_rowid();
                for cid in &media_ids {
                    sqlx::query("INSERT OR IGNORE INTO media_refs (content_id, conv_type, conv_key) VALUES (?, ?, ?)")
                        .bind(cid)
                        .bind(ct as i64)
                        .bind(&conv_key)
                        .execute(&mut ctx.conn)
                        .await?;
                }
                for r in &recipients {
                    let mut m = stored.clone();
                    render_for(&mut m, r);
                    ctx.append_inbox(r, &StoredEvent::Msg { id }, Event::NewMsg { msg: m }).await?;
                }
                let mut mine = stored.clone();
                render_for(&mut mine, &me_s);
                if changed {
                    ctx.append_inbox(&me_s, &StoredEvent::Updated { id }, Event::MsgUpdated { msg: mine.clone() }).await?;
                }
                Ok(mine)
            })
        })
        .await?;
    Ok(json!(result))
}

async fn sync(state: &Arc<State>, me: &str, after: u64) -> ApiResult {
    let rows = sqlx::query("SELECT seq, event FROM inbox WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?")
        .bind(me)
        .bind(after as i64)
        .bind(SYNC_PAGE + 1)
        .fetch_all(&state.store.read)
        .await?;
    let more = rows.len() as i64 > SYNC_PAGE;
    let mut events = Vec::with_capacity(rows.len());
    for r in rows.iter().take(SYNC_PAGE as usize) {
        let seq = r.get::<i64, _>("seq") as u64;
        let stored: StoredEvent =
            serde_json::from_str(r.get::<&str, _>("event")).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        let event = match stored {
            StoredEvent::Msg { id } => Event::NewMsg { msg: load_msg(state, id).await?.render(me)? },
            StoredEvent::Updated { id } => Event::MsgUpdated { msg: load_msg(state, id).await?.render(me)? },
            StoredEvent::Receipt { receipt } => Event::Receipt { receipt },
            StoredEvent::Revoked { locator, msg_id } => Event::Revoked { locator, msg_id },
        };
        events.push(Push { seq, event });
    }
    Ok(json!(SyncResult { events, more }))
}

async fn load_msg(state: &State, id: i64) -> Result<MsgRow, ApiError> {
    let row = sqlx::query(&format!("SELECT {MSG_COLUMNS} FROM messages WHERE id = ?"))
        .bind(id)
        .fetch_one(&state.store.read)
        .await?;
    Ok(MsgRow::from_row(&row))
}

#[allow(clippy::too_many_arguments)]
async fn history(
    state: &Arc<State>,
    me: &str,
    ct: u32,
    conv_id: &str,
    anchor: u64,
    forward: bool,
    include: bool,
    count: u32,
) -> ApiResult {
    let (conv_key, _) = conversation(state, me, ct, conv_id).await?;
    let count = count.clamp(1, HISTORY_MAX) as i64;
    let (cmp, order) = match (forward, include) {
        (true, false) => (">", "ASC"),
        (true, true) => (">=", "ASC"),
        (false, false) => ("<", "DESC"),
        (false, true) => ("<=", "DESC"),
    };
    // Anchor 0 backwards means "from the newest message".
    let anchor = if anchor == 0 && !forward { i64::MAX } else { anchor as i64 };
    // What this user deleted from roaming never comes back.
    let sql = format!(
        "SELECT {MSG_COLUMNS} FROM messages WHERE conv_type = ? AND conv_key = ? AND seq {cmp} ?
           AND id NOT IN (SELECT msg_rowid FROM hidden_messages WHERE user_id = ?)
           AND seq > COALESCE((SELECT up_to_seq FROM cleared_history WHERE user_id = ? AND conv_type = ? AND conv_key = ?), 0)
           AND seq > COALESCE((SELECT history_floor FROM groups WHERE ? = 2 AND group_id = ?), 0)
         ORDER BY seq {order} LIMIT ?"
    );
    let rows = sqlx::query(&sql)
        .bind(ct as i64)
        .bind(&conv_key)
        .bind(anchor)
        .bind(me)
        .bind(me)
        .bind(ct as i64)
        .bind(&conv_key)
        .bind(ct as i64)
        .bind(&conv_key)
        .bind(count)
        .fetch_all(&state.store.read)
        .await?;
    let mut msgs = Vec::with_capacity(rows.len());
    for r in &rows {
        msgs.push(MsgRow::from_row(r).render(me)?);
    }
    Ok(json!({ "msgs": msgs }))
}

async fn report_read(state: &Arc<State>, me: &str, ct: u32, conv_id: &str, time: u64) -> ApiResult {
    let _ = conversation(state, me, ct, conv_id).await?;
    let time = time.min(now_secs() + 60);
    let (me_s, peer) = (me.to_string(), conv_id.to_string());
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let prev: Option<i64> = sqlx::query_scalar("SELECT time FROM read_marks WHERE user_id = ? AND conv_type = ? AND conv_id = ?")
                    .bind(&me_s)
                    .bind(ct as i64)
                    .bind(&peer)
                    .fetch_optional(&mut ctx.conn)
                    .await?;
                if prev.is_some_and(|p| p as u64 >= time) {
                    return Ok(());
                }
                sqlx::query("INSERT INTO read_marks (user_id, conv_type, conv_id, time) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, conv_type, conv_id) DO UPDATE SET time = excluded.time")
                    .bind(&me_s)
                    .bind(ct as i64)
                    .bind(&peer)
                    .bind(time as i64)
                    .execute(&mut ctx.conn)
                    .await?;
                if ct == conv_type::C2C && peer != me_s {
                    let receipt = MessageReceipt { msg_receipt_conv_id: me_s.clone(), msg_receipt_conv_type: conv_type::C2C, msg_receipt_time_stamp: time };
                    ctx.append_inbox(&peer, &StoredEvent::Receipt { receipt: receipt.clone() }, Event::Receipt { receipt }).await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

async fn revoke(state: &Arc<State>, me: &str, ct: u32, conv_id: &str, msg_id: &str) -> ApiResult {
    let (conv_key, recipients) = conversation(state, me, ct, conv_id).await?;
    let not_found = if ct == conv_type::GROUP {
        codes::ERR_SVR_GROUP_REVOKE_MSG_NOT_FOUND
    } else {
        codes::ERR_SVR_GROUP_REVOKE_MSG_NOT_FOUND
    };
    let row = sqlx::query("SELECT id, sender, server_time, seq, body, revoked FROM messages WHERE msg_id = ? AND conv_type = ? AND conv_key = ?")
        .bind(msg_id)
        .bind(ct as i64)
        .bind(&conv_key)
        .fetch_optional(&state.store.read)
        .await?
        .ok_or_else(|| e(not_found, "no such message in this conversation"))?;
    let sender: String = row.get("sender");
    if row.get::<i64, _>("revoked") != 0 {
        return Ok(Value::Null);
    }
    if sender != me {
        let allowed = ct == conv_type::GROUP
            && member_role_of(state, conv_id, me).await?.is_some_and(|r| r >= member_role::ADMIN);
        if !allowed {
            return Err(e(
                codes::ERR_SVR_GROUP_REVOKE_MSG_DENY,
                "only the sender (or a group admin) can revoke this message",
            ));
        }
    } else {
        let sent = row.get::<i64, _>("server_time") as u64;
        if now_secs().saturating_sub(sent) > state.cfg.revoke_window.as_secs() {
            let code = if ct == conv_type::GROUP {
                codes::ERR_SVR_GROUP_REVOKE_MSG_TIME_LIMIT
            } else {
                codes::ERR_SVR_MSG_REVOKE_TIME_LIMIT
            };
            return Err(e(code, "the revoke time limit has passed"));
        }
    }
    let body: Message =
        serde_json::from_str(row.get::<&str, _>("body")).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    let id: i64 = row.get("id");
    let msg_id = msg_id.to_string();
    // Who revoked it (the sender or a group admin), as every member's window should say.
    let profile = sender_profile(state, me).await?;
    let revoker = Revoker {
        user_id: me.to_string(),
        nick_name: profile.user_profile_nick_name,
        face_url: profile.user_profile_face_url,
    };
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let n = sqlx::query(
                    "UPDATE messages SET revoked = 1, revoker = ?, revoker_nick = ?, revoker_face = ?
                     WHERE id = ? AND revoked = 0",
                )
                .bind(&revoker.user_id)
                .bind(&revoker.nick_name)
                .bind(&revoker.face_url)
                .bind(id)
                .execute(&mut ctx.conn)
                .await?
                .rows_affected();
                if n == 0 {
                    return Ok(());
                }
                for r in &recipients {
                    let mut m = body.clone();
                    render_for(&mut m, r);
                    let mut locator = MsgLocator {
                        message_locator_conv_id: m.message_conv_id.clone(),
                        message_locator_conv_type: ct,
                        message_locator_is_revoked: true,
                        message_locator_time: m.message_server_time,
                        message_locator_seq: m.message_seq,
                        message_locator_is_self: m.message_is_from_self,
                        message_locator_rand: m.message_rand,
                        message_locator_unique_id: m.message_unique_id,
                        ..Default::default()
                    };
                    revoker.fill_locator(&mut locator);
                    let ev = StoredEvent::Revoked { locator: locator.clone(), msg_id: msg_id.clone() };
                    ctx.append_inbox(r, &ev, Event::Revoked { locator, msg_id: msg_id.clone() }).await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

async fn delete_msgs(state: &Arc<State>, me: &str, ct: u32, conv_id: &str, msg_ids: Vec<String>) -> ApiResult {
    if msg_ids.is_empty() || msg_ids.len() > 30 {
        return Err(e(codes::ERR_INVALID_PARAMETERS, "delete 1 to 30 messages at a time"));
    }
    let (conv_key, _) = conversation(state, me, ct, conv_id).await?;
    let me = me.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                for id in &msg_ids {
                    sqlx::query(
                        "INSERT OR IGNORE INTO hidden_messages (user_id, msg_rowid)
                         SELECT ?, id FROM messages WHERE msg_id = ? AND conv_type = ? AND conv_key = ?",
                    )
                    .bind(&me)
                    .bind(id)
                    .bind(ct as i64)
                    .bind(&conv_key)
                    .execute(&mut ctx.conn)
                    .await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

async fn clear_history(state: &Arc<State>, me: &str, ct: u32, conv_id: &str) -> ApiResult {
    let (conv_key, _) = conversation(state, me, ct, conv_id).await?;
    let me = me.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO cleared_history (user_id, conv_type, conv_key, up_to_seq)
                     SELECT ?, ?, ?, COALESCE(MAX(seq), 0) FROM messages WHERE conv_type = ? AND conv_key = ?
                     ON CONFLICT (user_id, conv_type, conv_key) DO UPDATE SET up_to_seq = excluded.up_to_seq",
                )
                .bind(&me)
                .bind(ct as i64)
                .bind(&conv_key)
                .bind(ct as i64)
                .bind(&conv_key)
                .execute(&mut ctx.conn)
                .await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

async fn set_c2c_recv_opt(state: &Arc<State>, me: &str, ids: Vec<String>, opt: u32) -> ApiResult {
    if ids.is_empty() || ids.len() > 30 || opt > 2 || !ids.iter().all(|u| is_valid_user_id(u)) {
        return Err(e(codes::ERR_INVALID_PARAMETERS, "1 to 30 valid user ids and an option of 0, 1 or 2"));
    }
    let me = me.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                for u in &ids {
                    sqlx::query(
                        "INSERT INTO c2c_recv_opts (user_id, peer, opt) VALUES (?, ?, ?)
                         ON CONFLICT (user_id, peer) DO UPDATE SET opt = excluded.opt",
                    )
                    .bind(&me)
                    .bind(u)
                    .bind(opt as i64)
                    .execute(&mut ctx.conn)
                    .await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// The most conversations one user may have pinned.
const MAX_PINS: i64 = 100;

/// `TIMConvPinConversation`: remember the pin for all of my devices and tell the ones online.
async fn pin_conv(state: &Arc<State>, me: &str, ct: u32, conv_id: String, pinned: bool) -> ApiResult {
    let id_ok = match ct {
        conv_type::C2C => is_valid_user_id(&conv_id),
        conv_type::GROUP => !conv_id.is_empty() && conv_id.len() <= 48,
        _ => false,
    };
    if !id_ok {
        return Err(e(codes::ERR_INVALID_PARAMETERS, "a C2C or group conversation id"));
    }
    let me = me.to_string();
    let now = now_secs();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                if pinned {
                    let exists: Option<i64> =
                        sqlx::query_scalar("SELECT 1 FROM conv_pins WHERE user_id = ? AND conv_type = ? AND conv_id = ?")
                            .bind(&me)
                            .bind(ct as i64)
                            .bind(&conv_id)
                            .fetch_optional(&mut ctx.conn)
                            .await?;
                    if exists.is_none() {
                        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conv_pins WHERE user_id = ?")
                            .bind(&me)
                            .fetch_one(&mut ctx.conn)
                            .await?;
                        if n >= MAX_PINS {
                            return Err(StoreError::Refused(
                                codes::ERR_INVALID_PARAMETERS,
                                format!("at most {MAX_PINS} pinned conversations"),
                            ));
                        }
                        sqlx::query("INSERT INTO conv_pins (user_id, conv_type, conv_id, pinned_time) VALUES (?, ?, ?, ?)")
                            .bind(&me)
                            .bind(ct as i64)
                            .bind(&conv_id)
                            .bind(now as i64)
                            .execute(&mut ctx.conn)
                            .await?;
                    }
                } else {
                    sqlx::query("DELETE FROM conv_pins WHERE user_id = ? AND conv_type = ? AND conv_id = ?")
                        .bind(&me)
                        .bind(ct as i64)
                        .bind(&conv_id)
                        .execute(&mut ctx.conn)
                        .await?;
                }
                let pinned_time: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(MAX(pinned_time), 0) FROM conv_pins WHERE user_id = ? AND conv_type = ? AND conv_id = ?",
                )
                .bind(&me)
                .bind(ct as i64)
                .bind(&conv_id)
                .fetch_one(&mut ctx.conn)
                .await?;
                let pin = ConvPin { conv_type: ct, conv_id, pinned_time: pinned_time as u64 };
                ctx.push_unstored(&me, Event::ConvPinned { pin, pinned });
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

async fn pinned_convs(state: &Arc<State>, me: &str) -> ApiResult {
    let rows =
        sqlx::query("SELECT conv_type, conv_id, pinned_time FROM conv_pins WHERE user_id = ? ORDER BY pinned_time")
            .bind(me)
            .fetch_all(&state.store.read)
            .await?;
    let pins: Vec<ConvPin> = rows
        .iter()
        .map(|r| ConvPin {
            conv_type: r.get::<i64, _>("conv_type") as u32,
            conv_id: r.get("conv_id"),
            pinned_time: r.get::<i64, _>("pinned_time") as u64,
        })
        .collect();
    Ok(json!({ "pins": pins }))
}

async fn get_c2c_recv_opt(state: &Arc<State>, me: &str, ids: &[String]) -> ApiResult {
    if ids.is_empty() || ids.len() > 30 {
        return Err(e(codes::ERR_INVALID_PARAMETERS, "1 to 30 user ids"));
    }
    let mut out = Vec::new();
    for u in ids {
        let opt: Option<i64> = sqlx::query_scalar("SELECT opt FROM c2c_recv_opts WHERE user_id = ? AND peer = ?")
            .bind(me)
            .bind(u)
            .fetch_optional(&state.store.read)
            .await?;
        out.push(json!({"msg_recv_msg_opt_result_identifier": u, "msg_recv_msg_opt_result_opt": opt.unwrap_or(0)}));
    }
    Ok(Value::Array(out))
}

async fn get_profiles(state: &Arc<State>, ids: &[String]) -> ApiResult {
    if ids.len() > 100 {
        return Err(e(codes::ERR_SVR_PROFILE_INVALID_PARAMETERS, "at most 100 users per request"));
    }
    let mut out = Vec::new();
    for id in ids {
        if user_exists(state, id).await? {
            out.push(sender_profile(state, id).await?);
        }
    }
    Ok(json!(out))
}

async fn modify_profile(state: &Arc<State>, me: &str, item: UserProfileItem) -> ApiResult {
    let too_long = |s: &Option<String>, n: usize| s.as_ref().is_some_and(|v| v.len() > n);
    if too_long(&item.user_profile_item_nick_name, 64)
        || too_long(&item.user_profile_item_face_url, 500)
        || too_long(&item.user_profile_item_self_signature, 500)
    {
        return Err(e(codes::ERR_SVR_PROFILE_INVALID_PARAMETERS, "profile value too long"));
    }
    let me = me.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                sqlx::query("UPDATE users SET nick_name = COALESCE(?, nick_name), face_url = COALESCE(?, face_url), self_signature = COALESCE(?, self_signature), gender = COALESCE(?, gender) WHERE user_id = ?")
                    .bind(item.user_profile_item_nick_name)
                    .bind(item.user_profile_item_face_url)
                    .bind(item.user_profile_item_self_signature)
                    .bind(item.user_profile_item_gender.map(i64::from))
                    .bind(&me)
                    .execute(&mut ctx.conn)
                    .await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}
