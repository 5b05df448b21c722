//! Server-made messages: group tips (elem_type 5) and group reports (elem_type 8).
//!
//! Layer: domain. Imports `store`, `rules` and the foundation.
//!
//! Group tips are messages of the group conversation, with the group's next seq, sent by
//! `@TIM#SYSTEM`: stored once, like every group message, and caught up by seq. Group reports
//! are messages of one user's system conversation (conv type 3, conv id ""), through that
//! user's inbox, so a member who is offline gets them at the next login. In an AVChatRoom
//! nothing is stored: tips reach the members online.
use confab_protocol::enums::{conv_type, msg_status, SYSTEM_SENDER};
use confab_protocol::group::{GroupReportElem, GroupTipsElem};
use confab_protocol::wire::Event;
use confab_protocol::{Elem, Message};
use rand::Rng;

use crate::config::now_secs;
use crate::error::Result;
use crate::rules::groups::is_av;
use crate::rules::messages::new_unique_id;
use crate::store::{GroupRow, NewMessage, StoredEvent, Tx};

/// A server-generated message (sender `@TIM#SYSTEM`) holding one element.
pub fn system_msg(ct: u32, conv_id: &str, elem: Elem) -> Message {
    let now = now_secs();
    let mut rng = rand::thread_rng();
    Message {
        message_elem_array: vec![elem],
        message_conv_id: conv_id.to_string(),
        message_conv_type: ct,
        message_sender: SYSTEM_SENDER.to_string(),
        message_client_time: now,
        message_server_time: now,
        message_status: msg_status::SEND_SUCC,
        message_msg_id: format!("sys-{now}-{:x}", rng.gen::<u64>()),
        message_rand: u64::from(rng.gen::<u32>()),
        message_unique_id: new_unique_id(),
        ..Default::default()
    }
}

/// Group tips: a message of the group conversation with the group's next seq, stored once and
/// fanned out to the members online (read diffusion). In an AVChatRoom nothing is stored; the
/// tips reach whoever of `to` is online now.
pub async fn send_tip(tx: &mut Tx, g: &GroupRow, mut t: GroupTipsElem, to: &[String]) -> Result<()> {
    t.group_tips_elem_group_id = g.id.clone();
    t.group_tips_elem_group_name = g.name.clone();
    t.group_tips_elem_time = now_secs();
    if !t.group_tips_elem_op_user.is_empty() {
        t.group_tips_elem_op_user_info = Some(tx.profile(&t.group_tips_elem_op_user).await?);
        if let Some(m) = tx.member(&g.id, &t.group_tips_elem_op_user).await? {
            t.group_tips_elem_op_group_memberinfo = Some(m.info(&g.id, u64::MAX, &[]));
        }
    }
    if t.group_tips_elem_changed_user_info_array.is_empty() {
        for u in t.group_tips_elem_user_array.clone() {
            let p = tx.profile(&u).await?;
            t.group_tips_elem_changed_user_info_array.push(p);
        }
    }
    let mut msg = system_msg(conv_type::GROUP, &g.id, Elem::GroupTips(Box::new(t)));
    if is_av(g.group_type) {
        for u in to {
            tx.push_unstored(u, Event::NewMsg { msg: msg.clone() });
        }
        return Ok(());
    }
    // Stored once; the members online get it as a group message, the others pull it.
    tx.insert_group_msg(&g.id, &mut msg).await?;
    Ok(())
}

/// A membership tip (join, quit, kick, set / cancel admin) about `users`.
pub async fn member_tip(
    tx: &mut Tx,
    g: &GroupRow,
    tip_type: u32,
    op: &str,
    users: Vec<String>,
    to: &[String],
) -> Result<()> {
    let n = tx.member_count(&g.id).await?;
    let t = GroupTipsElem {
        group_tips_elem_tip_type: tip_type,
        group_tips_elem_op_user: op.to_string(),
        group_tips_elem_user_array: users,
        group_tips_elem_member_num: n,
        ..Default::default()
    };
    send_tip(tx, g, t, to).await
}

/// What a group report says, besides its type.
pub struct ReportText<'a> {
    pub op: &'a str,
    pub msg: &'a str,
    pub user_data: &'a str,
}

/// A group report to one user: a message of that user's system conversation.
pub async fn send_report(tx: &mut Tx, g: &GroupRow, to: &str, kind: u32, text: ReportText<'_>) -> Result<()> {
    let mut r = GroupReportElem {
        group_report_elem_report_type: kind,
        group_report_elem_group_id: g.id.clone(),
        group_report_elem_group_name: g.name.clone(),
        group_report_elem_op_user: text.op.to_string(),
        group_report_elem_msg: text.msg.to_string(),
        group_report_elem_user_data: text.user_data.to_string(),
        ..Default::default()
    };
    if !text.op.is_empty() {
        r.group_report_elem_op_user_info = Some(tx.profile(text.op).await?);
        if let Some(m) = tx.member(&g.id, text.op).await? {
            r.group_report_elem_op_group_memberinfo = Some(m.info(&g.id, u64::MAX, &[]));
        }
    }
    let mut msg = system_msg(conv_type::SYSTEM, "", Elem::GroupReport(Box::new(r)));
    let id = tx.insert_message(NewMessage { conv_type: conv_type::SYSTEM, conv_key: to, msg: &mut msg }).await?;
    tx.append_inbox(to, &StoredEvent::Msg { id }, Event::NewMsg { msg }).await?;
    Ok(())
}
