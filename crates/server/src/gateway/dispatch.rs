//! Request → handler: the connection's auth state, and which handler answers which request.
use crate::bus::Outlet;
use crate::config::now_secs;
use crate::context::State;
use crate::error::{refused, Result};
use crate::handlers::messages::{HistoryPage, Sending};
use crate::handlers::{auth, conversations, groups, media, messages, profiles};
use crate::store::BoxFuture;
use confab_protocol::codes;
use confab_protocol::wire::Request;
use serde_json::{json, Value};
use std::net::IpAddr;

/// The authenticated side of a connection.
pub(crate) struct Session {
    pub user_id: String,
    pub expires_at: i64,
}

/// A request's answer: ready, or (a send) after its commit, as JSON text.
pub(crate) enum Reply {
    Now(Result<Value>),
    Later(BoxFuture<'static, Result<String>>),
}

/// Handle one request. A send is checked and queued here, in the order the connection read
/// it; its answer comes when the write is durable (`Reply::Later`).
pub(crate) async fn handle(
    state: &State,
    session: &mut Option<Session>,
    (conn_id, ip): (u64, IpAddr),
    out: &Outlet,
    req: Request,
) -> Reply {
    if let Request::SendMsg { conv_type, conv_id, msg } = req {
        let Some(s) = session.as_ref() else {
            return Reply::Now(Err(refused(codes::ERR_SDK_NOT_LOGGED_IN, "not logged in")));
        };
        return match messages::prepare(state, &s.user_id, conv_type, &conv_id, msg).await {
            Err(e) => Reply::Now(Err(e)),
            Ok(Sending::Done(m)) => Reply::Now(Ok(json!(m))),
            Ok(Sending::Store(mut a)) => {
                a.origin = Some(conn_id);
                match state.store.submit_append(a).await {
                    Ok(commit) => Reply::Later(Box::pin(async move { ack_json(commit.await?) })),
                    Err(e) => Reply::Now(Err(e.into())),
                }
            }
        };
    }
    Reply::Now(answer(state, session, (conn_id, ip), out, req).await)
}

/// A send's ack: the stored message as the sender sees it. When this connection got no echo of
/// it, the ack says so (`confab_echo_skipped`) and, for a C2C message, which of the sender's
/// inbox seqs it took (`confab_inbox_seq`), so the SDK counts that seq as applied. A retry of a
/// message already stored says so too (`confab_retry`: the stored row, nothing new). Clients
/// that do not know these keys ignore them.
fn ack_json(a: crate::store::Appended) -> Result<String> {
    let mut text = serde_json::to_string(&a.msg).map_err(crate::error::corrupt)?;
    if (a.echo_skipped || a.retry) && text.len() > 2 && text.ends_with('}') {
        text.pop();
        if a.echo_skipped {
            text.push_str(r#","confab_echo_skipped":true"#);
            if let Some(seq) = a.own_inbox_seq {
                text.push_str(&format!(r#","confab_inbox_seq":{seq}"#));
            }
        }
        if a.retry {
            text.push_str(r#","confab_retry":true"#);
        }
        text.push('}');
    }
    Ok(text)
}

async fn answer(
    state: &State,
    session: &mut Option<Session>,
    (conn_id, ip): (u64, IpAddr),
    out: &Outlet,
    req: Request,
) -> Result<Value> {
    match req {
        Request::Ping => Ok(json!({"server_time": now_secs()})),
        Request::Register { user_id, password, nick_name } => {
            auth::register(state, &user_id, &password, &nick_name).await.map(|a| json!(a))
        }
        Request::PasswordLogin { user_id, password } => {
            auth::password_login(state, &user_id, &password, ip).await.map(|a| json!(a))
        }
        Request::Login { sdk_app_id, user_id, user_sig, platform, instance_id, resume } => {
            if session.is_some() {
                return Err(refused(codes::ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS, "this connection is already logged in"));
            }
            let r = auth::LoginRequest {
                conn_id,
                sdk_app_id,
                user_id: &user_id,
                user_sig: &user_sig,
                platform,
                instance_id: &instance_id,
                resume,
            };
            let (result, expires_at) = auth::login(state, r, out).await?;
            *session = Some(Session { user_id, expires_at });
            Ok(json!(result))
        }
        other => {
            let Some(s) = session.as_ref() else {
                return Err(refused(codes::ERR_SDK_NOT_LOGGED_IN, "not logged in"));
            };
            let me = s.user_id.clone();
            let me = me.as_str();
            match other {
                Request::SignOutEverywhere => auth::sign_out_everywhere(state, me, conn_id).await.map(|()| Value::Null),
                Request::ChangePassword { old_password, new_password } => {
                    auth::change_password(state, me, conn_id, &old_password, &new_password, ip).await.map(|a| json!(a))
                }
                Request::Logout => {
                    auth::logout(state, me, conn_id);
                    *session = None;
                    Ok(Value::Null)
                }
                Request::SendMsg { .. } => unreachable!("handled by handle()"),
                Request::Sync { after } => messages::sync(state, me, after).await.map(|r| json!(r)),
                Request::History { conv_type, conv_id, anchor_seq, forward, include_anchor, count } => {
                    let page = HistoryPage { conv_type, conv_id: &conv_id, anchor_seq, forward, include_anchor, count };
                    messages::history(state, me, page).await.map(|msgs| json!({ "msgs": msgs }))
                }
                Request::ReportRead { conv_type, conv_id, time } => {
                    messages::report_read(state, me, conv_type, &conv_id, time).await.map(|()| Value::Null)
                }
                Request::Revoke { conv_type, conv_id, msg_id } => {
                    messages::revoke(state, me, conv_type, &conv_id, &msg_id).await.map(|()| Value::Null)
                }
                Request::DeleteMsgs { conv_type, conv_id, msg_ids } => {
                    messages::delete(state, me, conv_type, &conv_id, msg_ids).await.map(|()| Value::Null)
                }
                Request::ClearHistory { conv_type, conv_id } => {
                    messages::clear_history(state, me, conv_type, &conv_id).await.map(|()| Value::Null)
                }
                Request::SetC2CRecvOpt { user_ids, opt } => {
                    conversations::set_c2c_recv_opt(state, me, user_ids, opt).await.map(|()| Value::Null)
                }
                Request::GetC2CRecvOpt { user_ids } => conversations::get_c2c_recv_opt(state, me, &user_ids).await,
                Request::GetProfiles { user_ids } => profiles::get(state, &user_ids).await.map(|p| json!(p)),
                Request::ModifySelfProfile { item } => {
                    profiles::modify_self(state, me, item).await.map(|()| Value::Null)
                }
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
                | Request::SetGroupRecvOpt { .. }) => groups::handle(state, me, r).await,
                Request::MediaUrl { content_id } => media::signed_url(state, me, &content_id).await,
                Request::PinConv { conv_type, conv_id, pinned } => {
                    conversations::pin(state, me, conv_type, conv_id, pinned).await.map(|()| Value::Null)
                }
                Request::PinnedConvs => conversations::pinned(state, me).await.map(|pins| json!({ "pins": pins })),
                Request::GroupCursors => {
                    messages::group_cursors(state, me).await.map(|groups| json!({ "groups": groups }))
                }
                Request::InboxLatest => messages::inbox_latest(state, me).await.map(|s| json!({ "latest_seq": s })),
                Request::Ping | Request::Register { .. } | Request::PasswordLogin { .. } | Request::Login { .. } => {
                    unreachable!("handled above")
                }
            }
        }
    }
}
