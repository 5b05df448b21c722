//! Pendencies: join requests (the owner and admins decide) and invitations that need the
//! invitee's consent; the list, its read mark, and handling one.
use confab_protocol::codes;
use confab_protocol::enums::{
    group_pendency_handle, group_pendency_handle_result, group_pendency_type as ptype, group_report_type as report,
    group_tip_type as tip, member_role,
};
use confab_protocol::group::{GroupHandlePendencyParam, GroupPendency, GroupPendencyOption, GroupPendencyResult};
use serde_json::{json, Value};

use super::{add_member, lock_group};
use crate::config::now_secs;
use crate::context::State;
use crate::error::{refused, Result};
use crate::events::{member_tip, send_report, ReportText};
use crate::rules::groups::{check_len, secs, PENDENCY_PAGE, PENDENCY_PAGE_MAX, TEXT_MAX};
use crate::store::PendencyRow;

fn pendency_of(r: &PendencyRow, me: &str) -> GroupPendency {
    let kind = r.pendency_type as u32;
    let handled = r.handled != 0;
    GroupPendency {
        group_pendency_group_id: r.group_id.clone(),
        group_pendency_form_identifier: r.from_user.clone(),
        group_pendency_to_identifier: if kind == ptype::INVITE_JOIN {
            r.to_user.clone()
        } else if handled {
            r.handled_by.clone()
        } else {
            me.to_string()
        },
        group_pendency_add_time: r.add_time as u64,
        group_pendency_pendency_type: kind,
        group_pendency_handled: match (handled, r.handled_by == me) {
            (false, _) => group_pendency_handle::NOT_HANDLE,
            (true, true) => group_pendency_handle::OPERATOR_HANDLE,
            (true, false) => group_pendency_handle::OTHER_HANDLE,
        },
        group_pendency_handle_result: r.handle_result as u32,
        group_pendency_apply_invite_msg: r.apply_msg.clone(),
        group_pendency_form_user_defined_data: r.from_user_data.clone(),
        group_pendency_approval_msg: r.approval_msg.clone(),
        group_pendency_key: format!("{}_{}", r.id, r.secret),
        group_pendency_authentication: r.secret.clone(),
        group_pendency_self_identifier: me.to_string(),
        ..Default::default()
    }
}

/// TIMGroupGetPendencyList: newest first, handled ones included (with their outcome). A page
/// never splits one second: it may hold more than the suggested size.
pub(super) async fn pendency_list(state: &State, me: &str, o: GroupPendencyOption) -> Result<Value> {
    let limit = match o.group_pendency_option_max_limited {
        0 => PENDENCY_PAGE,
        n => n.min(PENDENCY_PAGE_MAX),
    };
    let start = secs(o.group_pendency_option_start_time);
    let before = if start == 0 { i64::MAX } else { start.min(i64::MAX as u64) as i64 };
    let mut db = state.store.read().await?;
    let mut rows = db.pendencies_before(me, before, i64::from(limit)).await?;
    let mut next = 0u64;
    if let Some(last) = rows.last() {
        let (t, id) = (last.add_time, last.id);
        let same_second = db.pendencies_same_second(me, t, id).await?;
        rows.extend(same_second);
        if db.pendencies_older_exist(me, t).await? {
            next = t as u64;
        }
    }
    let read_time = db.pendency_read_time(me).await?;
    let unread = db.pendencies_unread(me, read_time).await?;
    Ok(json!(GroupPendencyResult {
        group_pendency_result_next_start_time: next,
        group_pendency_result_read_time_seq: read_time as u64,
        group_pendency_result_unread_num: unread,
        group_pendency_result_pendency_array: rows.iter().map(|r| pendency_of(r, me)).collect(),
    }))
}

/// TIMGroupReportPendencyReaded: pendencies added up to `time` (seconds; ms accepted) are read.
pub(super) async fn pendency_read(state: &State, me: &str, time: u64) -> Result<Value> {
    let t = secs(time).min(now_secs() + 60) as i64;
    let me = me.to_string();
    state.store.write(move |tx| Box::pin(async move { tx.set_pendency_read(&me, t).await })).await?;
    Ok(Value::Null)
}

/// TIMGroupHandlePendency: the decider accepts or refuses, once (10024 afterwards). The
/// pendency is found by its key; without one, by group, sender and type (the newest open one).
pub(super) async fn handle_pendency(state: &State, me: &str, p: GroupHandlePendencyParam) -> Result<Value> {
    check_len(&p.group_handle_pendency_param_handle_msg, TEXT_MAX, "the handle message")?;
    let me = me.to_string();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let pd = &p.group_handle_pendency_param_pendency;
                let by_key =
                    pd.group_pendency_key.split_once('_').and_then(|(id, s)| Some((id.parse::<i64>().ok()?, s)));
                let row = match by_key {
                    Some((id, secret)) => tx.pendency_by_key(id, secret).await?,
                    None => {
                        tx.pendency_find(
                            &pd.group_pendency_group_id,
                            &pd.group_pendency_form_identifier,
                            pd.group_pendency_pendency_type,
                            &me,
                        )
                        .await?
                    }
                };
                let row = row.ok_or_else(|| refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "no such pendency"))?;
                let (id, gid) = (row.id, row.group_id.clone());
                let kind = row.pendency_type as u32;
                let (from, to) = (row.from_user.clone(), row.to_user.clone());
                let g = lock_group(tx, &gid).await?;
                if kind == ptype::INVITE_JOIN {
                    if to != me {
                        return Err(refused(
                            codes::ERR_SVR_GROUP_PERMISSION_DENY,
                            "only the invitee answers an invitation",
                        ));
                    }
                } else if tx.role(&gid, &me).await?.unwrap_or(0) < member_role::ADMIN {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only the owner and admins handle join requests",
                    ));
                }
                if row.handled != 0 {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_REQ_ALLREADY_BEEN_PROCESSED,
                        "this pendency was already handled",
                    ));
                }
                let accept = p.group_handle_pendency_param_is_accept;
                let answer = p.group_handle_pendency_param_handle_msg.clone();
                let (newcomer, told, tip_op) = if kind == ptype::INVITE_JOIN {
                    (to.clone(), from.clone(), from.clone())
                } else {
                    (from.clone(), from.clone(), me.clone())
                };
                if accept && tx.role(&gid, &newcomer).await?.is_none() {
                    add_member(tx, &g, &newcomer, member_role::NORMAL).await?;
                    let all = tx.member_ids(&gid).await?;
                    member_tip(tx, &g, tip::INVITE, &tip_op, vec![newcomer.clone()], &all).await?;
                }
                let kind_told = match (kind == ptype::INVITE_JOIN, accept) {
                    (false, true) => report::ADD_ACCEPT,
                    (false, false) => report::ADD_REFUSE,
                    (true, true) => report::INVITE_ACCEPT,
                    (true, false) => report::INVITE_REFUSE,
                };
                send_report(tx, &g, &told, kind_told, ReportText { op: &me, msg: &answer, user_data: "" }).await?;
                let result =
                    if accept { group_pendency_handle_result::ACCEPT } else { group_pendency_handle_result::REFUSE };
                tx.mark_pendency_handled(id, &me, result, &answer, now_secs()).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}
