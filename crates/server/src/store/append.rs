//! Appending messages: the send path's one store operation.
//!
//! Sends that reach the writer together are stored together: one statement finds retries
//! (message ids already stored), one inserts every new message, one inserts every inbox row,
//! all inside one savepoint of the batch's transaction. Each message gets the next seq of its
//! conversation in queue order (one connection's sends reach the queue in send order). A group
//! message is stored once and gets no inbox rows (read diffusion); its fan-out to the online
//! members is one [`Effect::GroupMsg`]. A refused send writes nothing; a failed statement fails
//! the batch's transaction (see [`Tx::append_batch`]).
use std::collections::HashMap;

use confab_protocol::codes;
use confab_protocol::wire::{Event, Push};
use confab_protocol::Message;
use sqlx::QueryBuilder;

use super::inbox::StoredEvent;
use super::messages::{render_for, MsgRow, MSG_COLUMNS_WITH_ID};
use super::{per_engine, Effect, Tx};
use crate::error::{corrupt, refused, Error, Result};

/// A message to store.
pub struct Append {
    pub conv_type: u32,
    pub conv_key: String,
    /// The message as its sender sees it, every server field set but `message_seq`.
    pub msg: Message,
    /// Users whose inbox gets the message (C2C: both parties); empty for a group message.
    pub inbox: Vec<String>,
    /// A group message: delivered to the group's subscribed members after commit.
    pub group_fanout: bool,
    /// Media the message references (the conversation may then read it).
    pub media: Vec<String>,
    /// The content hook changed the message: the sender's inbox is told (`MsgUpdated`).
    pub updated_for_sender: bool,
    /// The connection that sent it: it learns the outcome from its ack, so it gets no echo.
    pub origin: Option<u64>,
}

/// A stored message as its sender sees it, and whether the sending connection's echo was left
/// out (then the ack says which of the sender's inbox seqs the message took, if any).
#[derive(Debug)]
pub struct Appended {
    pub msg: Message,
    pub echo_skipped: bool,
    pub own_inbox_seq: Option<u64>,
    /// A retry of a message already stored: the answer is the stored row, nothing new.
    pub retry: bool,
}

/// Rows per multi-row statement (7 parameters each, well under SQLite's limit).
const CHUNK: usize = 128;

impl Tx {
    /// Store `batch` (in order); each result is the message as its sender sees it, or the
    /// stored one for a retry, or why it was refused. `Err` is a storage failure: the batch's
    /// transaction can no longer commit.
    ///
    /// No savepoint: a refused send writes nothing, so there is nothing to undo but a failed
    /// statement, and that fails the whole transaction (a savepoint would make SQLite copy every
    /// page the sends touch into its sub-journal first, which cost more than the inserts).
    pub(super) async fn append_batch(&mut self, batch: Vec<Append>) -> Result<Vec<Result<Appended>>> {
        self.append_grouped(&batch).await
    }

    async fn append_grouped(&mut self, batch: &[Append]) -> Result<Vec<Result<Appended>>> {
        // Retries: message ids already stored.
        let mut existing: HashMap<String, MsgRow> = HashMap::new();
        for chunk in batch.chunks(CHUNK) {
            let rows = per_engine!(self.conn, |c, Db| {
                let mut q: QueryBuilder<Db> =
                    QueryBuilder::new(format!("SELECT {MSG_COLUMNS_WITH_ID} FROM messages WHERE msg_id IN ("));
                let mut sep = q.separated(", ");
                for a in chunk {
                    sep.push_bind(a.msg.message_msg_id.as_str());
                }
                q.push(")");
                q.build_query_as::<super::messages::RawMsgWithId>().fetch_all(c).await?
            });
            for row in rows {
                existing.insert(row.msg_id.clone(), row.into_row());
            }
        }
        // Number the new ones, in order; a second send of the same id in this batch is a retry
        // of the first.
        enum Plan {
            Refused(Error),
            Existing(Box<MsgRow>),
            New(Box<Message>),
            SameAs(usize),
        }
        let mut plans: Vec<Plan> = Vec::with_capacity(batch.len());
        let mut first_of: HashMap<&str, usize> = HashMap::new();
        for (i, a) in batch.iter().enumerate() {
            let id = a.msg.message_msg_id.as_str();
            let plan = if let Some(row) = existing.get(id) {
                if row.sender != a.msg.message_sender {
                    Plan::Refused(refused(codes::ERR_SVR_MSG_PKG_PARSE_FAILED, "message id already in use"))
                } else {
                    Plan::Existing(Box::new(row.clone()))
                }
            } else if let Some(&j) = first_of.get(id) {
                if batch[j].msg.message_sender != a.msg.message_sender {
                    Plan::Refused(refused(codes::ERR_SVR_MSG_PKG_PARSE_FAILED, "message id already in use"))
                } else {
                    Plan::SameAs(j)
                }
            } else {
                first_of.insert(id, i);
                Plan::New(Box::new(a.msg.clone()))
            };
            plans.push(plan);
        }
        // Seqs: each conversation's run reserved at once, conversations in key order (nodes
        // sharing PostgreSQL lock counter rows in one order, so they never deadlock), then
        // handed out in queue order.
        let mut runs: std::collections::BTreeMap<(u32, &str), u64> = std::collections::BTreeMap::new();
        for (i, p) in plans.iter().enumerate() {
            if let Plan::New(_) = p {
                *runs.entry((batch[i].conv_type, batch[i].conv_key.as_str())).or_default() += 1;
            }
        }
        let list: Vec<(u32, &str, u64)> = runs.iter().map(|(&(ct, key), &n)| (ct, key, n)).collect();
        let firsts = self.reserve_conv_seqs_many(&list).await?;
        let mut next_seq: HashMap<(u32, &str), u64> =
            list.iter().zip(firsts).map(|(&(ct, key, _), first)| ((ct, key), first)).collect();
        for (i, p) in plans.iter_mut().enumerate() {
            if let Plan::New(m) = p {
                let next = next_seq
                    .get_mut(&(batch[i].conv_type, batch[i].conv_key.as_str()))
                    .ok_or_else(|| corrupt("no seq"))?;
                m.message_seq = *next;
                *next += 1;
            }
        }
        // Insert the new messages.
        let new: Vec<(usize, &Message)> = plans
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                Plan::New(m) => Some((i, &**m)),
                _ => None,
            })
            .collect();
        let mut row_id: HashMap<String, i64> = HashMap::new();
        for chunk in new.chunks(CHUNK) {
            let mut rows = Vec::with_capacity(chunk.len());
            for (i, m) in chunk {
                let a = &batch[*i];
                rows.push((a, *m, serde_json::to_string(m).map_err(corrupt)?));
            }
            let ids = per_engine!(self.conn, |c, Db| {
                let mut q: QueryBuilder<Db> = QueryBuilder::new(
                    "INSERT INTO messages (msg_id, conv_type, conv_key, seq, sender, server_time, body) ",
                );
                q.push_values(&rows, |mut b, (a, m, body)| {
                    b.push_bind(m.message_msg_id.as_str())
                        .push_bind(a.conv_type as i64)
                        .push_bind(a.conv_key.as_str())
                        .push_bind(m.message_seq as i64)
                        .push_bind(m.message_sender.as_str())
                        .push_bind(m.message_server_time as i64)
                        .push_bind(body.as_str());
                });
                q.push(" RETURNING id, msg_id");
                q.build_query_as::<(i64, String)>().fetch_all(c).await?
            });
            for (id, msg_id) in ids {
                row_id.insert(msg_id, id);
            }
        }
        // Inbox seqs: reserved per user at once, users in id order (like the conversations'
        // above: two nodes storing a message each way between two users lock the same rows in
        // the same order), then handed out in queue order.
        let mut inbox_runs: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
        for (i, p) in plans.iter().enumerate() {
            if let Plan::New(_) = p {
                let a = &batch[i];
                for user in &a.inbox {
                    *inbox_runs.entry(user.as_str()).or_default() += 1;
                }
                if a.updated_for_sender {
                    *inbox_runs.entry(a.msg.message_sender.as_str()).or_default() += 1;
                }
            }
        }
        let list: Vec<(&str, u64)> = inbox_runs.iter().map(|(&u, &n)| (u, n)).collect();
        let firsts = self.reserve_inbox_seqs_many(&list).await?;
        let mut next_inbox: HashMap<&str, u64> = list.iter().zip(firsts).map(|(&(u, _), f)| (u, f)).collect();
        let mut take = |user: &str| -> Result<u64> {
            let next = next_inbox.get_mut(user).ok_or_else(|| corrupt("no inbox seq"))?;
            *next += 1;
            Ok(*next - 1)
        };
        // Media references, inbox rows and effects, in order.
        let mut inbox_rows: Vec<(String, u64, String)> = Vec::new();
        let mut own_seq: HashMap<usize, u64> = HashMap::new();
        for (i, p) in plans.iter().enumerate() {
            let Plan::New(m) = p else { continue };
            let a = &batch[i];
            let id = *row_id.get(&m.message_msg_id).ok_or_else(|| corrupt("an inserted message has no row id"))?;
            self.add_media_refs(&a.media, a.conv_type, &a.conv_key).await?;
            let stored = serde_json::to_string(&StoredEvent::Msg { id }).map_err(corrupt)?;
            // The sending connection learns the outcome from its ack, not from an echo (unless
            // the content hook changed the message: then it hears of it like the others).
            let skip_echo = a.origin.filter(|_| !a.updated_for_sender);
            for user in &a.inbox {
                let seq = take(user)?;
                inbox_rows.push((user.clone(), seq, stored.clone()));
                let mut mine = (**m).clone();
                render_for(&mut mine, user);
                let own = *user == a.msg.message_sender;
                if own && skip_echo.is_some() {
                    own_seq.insert(i, seq);
                }
                let except_conn = if own { skip_echo } else { None };
                let push = Push { seq, event: Event::NewMsg { msg: mine } };
                self.effects.push(Effect::Push { user: user.clone(), push, except_conn });
            }
            if a.updated_for_sender {
                let user = &a.msg.message_sender;
                let seq = take(user)?;
                let ev = serde_json::to_string(&StoredEvent::Updated { id }).map_err(corrupt)?;
                inbox_rows.push((user.clone(), seq, ev));
                let mut mine = (**m).clone();
                render_for(&mut mine, user);
                let push = Push { seq, event: Event::MsgUpdated { msg: mine } };
                self.effects.push(Effect::Push { user: user.clone(), push, except_conn: None });
            }
            if a.group_fanout {
                let (gid, msg) = (a.conv_key.clone(), (**m).clone());
                self.effects.push(Effect::GroupMsg { gid, msg, except_conn: skip_echo });
            }
        }
        // A retry of a stored group message is published again: the node that stored it may
        // have died before delivering it (members apply a seq once, so a repeat is harmless).
        for (i, p) in plans.iter().enumerate() {
            let a = &batch[i];
            if let (Plan::Existing(row), true) = (p, a.group_fanout) {
                let msg = row.render(&a.msg.message_sender)?;
                self.effects.push(Effect::GroupMsg { gid: a.conv_key.clone(), msg, except_conn: a.origin });
            }
        }
        for chunk in inbox_rows.chunks(CHUNK) {
            per_engine!(self.conn, |c, Db| {
                let mut q: QueryBuilder<Db> = QueryBuilder::new("INSERT INTO inbox (user_id, seq, event) ");
                q.push_values(chunk, |mut b, (user, seq, ev)| {
                    b.push_bind(user.as_str()).push_bind(*seq as i64).push_bind(ev.as_str());
                });
                q.build().execute(c).await?;
            });
        }
        // Results as each sender sees them.
        let mut out: Vec<Result<Appended>> = Vec::with_capacity(plans.len());
        for (i, p) in plans.iter().enumerate() {
            let a = &batch[i];
            let sender = &a.msg.message_sender;
            let plain = |msg: Message| Appended { msg, echo_skipped: false, own_inbox_seq: None, retry: true };
            let r = match p {
                Plan::Refused(e) => Err(refused(e.code(), e.wire().1)),
                Plan::Existing(row) => row.render(sender).map(plain),
                Plan::New(m) => {
                    let mut mine = (**m).clone();
                    render_for(&mut mine, sender);
                    let echo_skipped = a.origin.is_some() && !a.updated_for_sender;
                    Ok(Appended { msg: mine, echo_skipped, own_inbox_seq: own_seq.get(&i).copied(), retry: false })
                }
                Plan::SameAs(j) => match &out[*j] {
                    Ok(x) => Ok(plain(x.msg.clone())),
                    Err(e) => Err(refused(e.code(), e.wire().1)),
                },
            };
            out.push(r);
        }
        Ok(out)
    }
}
