//! Conversations in the local store and everything a ConvInfo shows: unread counts, drafts,
//! the peer's read mark, show names, pins (`conv_pins`, 0005), and the small caches kept in `kv`:
//! receive options (`recv_opt:<type>:<id>`), group types (`group_type:<id>`) and the @ marks of
//! unread group messages (`group_at:<id>`).
use confab_protocol::conv::Draft;
use confab_protocol::enums::{conv_type, group_type, msg_status};
use confab_protocol::wire::ConvPin;
use confab_protocol::{ConvInfo, Message};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::messages::sort_time;
use super::{corrupt, kv_delete, kv_set, LocalStore};
use crate::error::Error;

/// The bit TIM sets in `conv_active_time` for a pinned conversation.
pub const PINNED_BIT: u64 = 1 << 62;

impl LocalStore {
    pub async fn conv_exists(&self, ct: u32, id: &str) -> Result<bool, Error> {
        Ok(sqlx::query_scalar::<_, i64>("SELECT 1 FROM conversations WHERE conv_type = ? AND conv_id = ?")
            .bind(ct as i64)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    pub async fn conv_ids(&self) -> Result<Vec<(u32, String)>, Error> {
        let rows = sqlx::query("SELECT conv_type, conv_id FROM conversations").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| (r.get::<i64, _>("conv_type") as u32, r.get::<String, _>("conv_id"))).collect())
    }

    /// The conversation as a ConvInfo, or None when it does not exist.
    pub async fn conv_info(&self, ct: u32, id: &str) -> Result<Option<ConvInfo>, Error> {
        let r = sqlx::query(&format!("{CONV_SELECT} WHERE c.conv_type = ? AND c.conv_id = ?"))
            .bind(ct as i64)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| conv_from_row(&r)).transpose()
    }

    /// Every conversation as a ConvInfo, in one query (the list at start-up), unsorted.
    pub async fn conv_list(&self) -> Result<Vec<ConvInfo>, Error> {
        let rows = sqlx::query(CONV_SELECT).fetch_all(&self.pool).await?;
        rows.iter().map(conv_from_row).collect()
    }

    pub async fn total_unread(&self) -> Result<u64, Error> {
        let n: Option<i64> = sqlx::query_scalar("SELECT SUM(unread) FROM conversations").fetch_one(&self.pool).await?;
        Ok(n.unwrap_or(0) as u64)
    }

    /// Cache a conversation's receive option (shown as `conv_recv_opt`).
    pub async fn set_recv_opt(&self, ct: u32, id: &str, opt: u32) -> Result<(), Error> {
        let mut c = self.conn().await?;
        kv_set(&mut c, &recv_opt_key(ct, id), &opt.to_string()).await
    }

    /// Cache the types of groups (from create / join / joined list / info list answers).
    pub async fn cache_group_types(&self, items: &[(String, u32)]) -> Result<(), Error> {
        if items.is_empty() {
            return Ok(());
        }
        let mut c = self.conn().await?;
        for (gid, t) in items {
            set_group_type(&mut c, gid, *t).await?;
        }
        Ok(())
    }

    /// The type of a group as this device last learned it.
    pub async fn cached_group_type(&self, gid: &str) -> Option<u32> {
        self.kv_get(&group_type_key(gid)).await.ok().flatten().and_then(|v| v.parse().ok())
    }

    /// A group whose messages the server does not store (it answered a send without a seq) is
    /// an AVChatRoom as far as this device is concerned.
    pub async fn remember_unstored_group(&self, gid: &str) -> Result<(), Error> {
        if !matches!(self.cached_group_type(gid).await, Some(group_type::AV_CHAT_ROOM | group_type::B_CHAT_ROOM)) {
            self.cache_group_types(&[(gid.to_string(), group_type::AV_CHAT_ROOM)]).await?;
        }
        Ok(())
    }

    /// Messages that are never stored locally: online-only ones, and those of an AVChatRoom
    /// (not even the sender's own echo).
    pub async fn not_stored(&self, m: &Message) -> bool {
        if m.message_is_online_msg {
            return true;
        }
        m.message_conv_type == conv_type::GROUP
            && matches!(
                self.cached_group_type(&m.message_conv_id).await,
                Some(group_type::AV_CHAT_ROOM | group_type::B_CHAT_ROOM)
            )
    }
}

/// A conversation with what its ConvInfo shows: its last message (not deleted, not excluded from
/// the last message), pin, receive option and group type. `conv_from_row` reads it.
const CONV_SELECT: &str = "SELECT c.conv_type, c.conv_id, c.unread, c.created_time, c.draft, c.peer_read_time,
        c.show_name, c.face_url,
        (SELECT m.body FROM messages m WHERE m.conv_type = c.conv_type AND m.conv_id = c.conv_id AND m.status != 4
           AND json_extract(m.body, '$.message_excluded_from_last_message') IS NOT 1
         ORDER BY m.sort_time DESC, m.seq DESC, m.msg_id DESC LIMIT 1) AS last_body,
        EXISTS (SELECT 1 FROM conv_pins p WHERE p.conv_type = c.conv_type AND p.conv_id = c.conv_id) AS pinned,
        (SELECT value FROM kv WHERE key = 'recv_opt:' || c.conv_type || ':' || c.conv_id) AS recv_opt,
        (SELECT value FROM kv WHERE key = 'group_type:' || c.conv_id) AS group_type,
        CASE WHEN c.conv_type = 2 THEN (SELECT value FROM kv WHERE key = 'group_at:' || c.conv_id) END AS group_at
    FROM conversations c";

fn conv_from_row(r: &SqliteRow) -> Result<ConvInfo, Error> {
    let ct = r.get::<i64, _>("conv_type") as u32;
    let id: String = r.get("conv_id");
    let peer_read: i64 = r.get("peer_read_time");
    let draft: Option<Draft> =
        r.get::<Option<String>, _>("draft").map(|s| serde_json::from_str(&s)).transpose().map_err(corrupt)?;
    let last: Option<Message> = r
        .get::<Option<&str>, _>("last_body")
        .map(|b| serde_json::from_str(b).map_err(corrupt))
        .transpose()?
        .map(|m| with_peer_read(m, peer_read));
    let mut active = r.get::<i64, _>("created_time") as u64;
    if let Some(m) = &last {
        active = active.max(sort_time(m) as u64);
    }
    if let Some(d) = &draft {
        active = active.max(d.draft_edit_time);
    }
    let pinned = r.get::<i64, _>("pinned") != 0;
    if pinned {
        active |= PINNED_BIT;
    }
    let show: String = r.get("show_name");
    let recv_opt = r.get::<Option<String>, _>("recv_opt").and_then(|v| v.parse().ok()).unwrap_or(0);
    let group_type = if ct == conv_type::GROUP {
        r.get::<Option<String>, _>("group_type").and_then(|v| v.parse().ok()).unwrap_or(0)
    } else {
        0
    };
    let group_at: Vec<confab_protocol::conv::GroupAtInfo> = match r.get::<Option<&str>, _>("group_at") {
        Some(v) => serde_json::from_str(v).map_err(corrupt)?,
        None => Vec::new(),
    };
    Ok(ConvInfo {
        conv_group_at_info_array: group_at,
        conv_show_name: if show.is_empty() { id.clone() } else { show },
        conv_id: id,
        conv_type: ct,
        conv_unread_num: r.get::<i64, _>("unread") as u64,
        conv_active_time: active,
        conv_is_has_lastmsg: last.is_some(),
        conv_last_msg: last,
        conv_is_has_draft: draft.is_some(),
        conv_draft: draft,
        conv_face_url: r.get("face_url"),
        conv_c2c_read_timestamp: if ct == conv_type::C2C { peer_read as u64 } else { 0 },
        conv_recv_opt: recv_opt,
        conv_group_type: group_type,
        conv_is_pinned: pinned,
        ..Default::default()
    })
}

pub fn recv_opt_key(ct: u32, id: &str) -> String {
    format!("recv_opt:{ct}:{id}")
}

fn group_type_key(gid: &str) -> String {
    format!("group_type:{gid}")
}

/// Fill `message_is_peer_read` from the conversation's peer read mark.
pub fn with_peer_read(mut m: Message, peer_read_time: i64) -> Message {
    if m.message_is_from_self && m.message_conv_type == conv_type::C2C && m.message_status == msg_status::SEND_SUCC {
        m.message_is_peer_read = m.message_server_time > 0 && m.message_server_time as i64 <= peer_read_time;
    }
    m
}

// ---- writes, usable inside a transaction ----

/// How a group message's `message_group_at_user_array` mentions `me`: 0 not, 1 @me, 2 @all,
/// 3 both (TIMGroupAtType).
pub fn group_at_type(at_users: &[String], me: &str) -> u32 {
    use confab_protocol::enums::{AT_ALL, AT_ALL_7X};
    let me_at = at_users.iter().any(|u| u == me);
    let all = at_users.iter().any(|u| u == AT_ALL || u == AT_ALL_7X);
    match (me_at, all) {
        (true, true) => 3,
        (true, false) => 1,
        (false, true) => 2,
        (false, false) => 0,
    }
}

/// Remember that an unread message of group `gid` mentions me (`conv_group_at_info_array`,
/// kept in `kv` under `group_at:<gid>` until the group is read).
pub async fn add_group_at(c: &mut SqliteConnection, gid: &str, seq: u64, at_type: u32) -> Result<(), Error> {
    let key = format!("group_at:{gid}");
    let cur: Option<String> =
        sqlx::query_scalar("SELECT value FROM kv WHERE key = ?").bind(&key).fetch_optional(&mut *c).await?;
    let mut list: Vec<confab_protocol::conv::GroupAtInfo> = match cur {
        Some(v) => serde_json::from_str(&v).map_err(corrupt)?,
        None => Vec::new(),
    };
    if list.iter().any(|a| a.conv_group_at_info_seq == seq && seq != 0) {
        return Ok(());
    }
    list.push(confab_protocol::conv::GroupAtInfo { conv_group_at_info_seq: seq, conv_group_at_info_at_type: at_type });
    let v = serde_json::to_string(&list).map_err(|e| Error::Store(e.to_string()))?;
    kv_set(c, &key, &v).await
}

/// Create the conversation if missing; returns whether it was created.
pub async fn ensure_conv(c: &mut SqliteConnection, ct: u32, id: &str, now: u64) -> Result<bool, Error> {
    let r = sqlx::query("INSERT OR IGNORE INTO conversations (conv_type, conv_id, created_time) VALUES (?, ?, ?)")
        .bind(ct as i64)
        .bind(id)
        .bind(now as i64)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete_conv(c: &mut SqliteConnection, ct: u32, id: &str) -> Result<bool, Error> {
    let r = sqlx::query("DELETE FROM conversations WHERE conv_type = ? AND conv_id = ?")
        .bind(ct as i64)
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_show_name(c: &mut SqliteConnection, ct: u32, id: &str, name: &str, face: &str) -> Result<(), Error> {
    sqlx::query("UPDATE conversations SET show_name = ?, face_url = ? WHERE conv_type = ? AND conv_id = ?")
        .bind(name)
        .bind(face)
        .bind(ct as i64)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// The show name alone (a group's name from its tips).
pub async fn set_conv_name(c: &mut SqliteConnection, ct: u32, id: &str, name: &str) -> Result<(), Error> {
    sqlx::query("UPDATE conversations SET show_name = ? WHERE conv_type = ? AND conv_id = ?")
        .bind(name)
        .bind(ct as i64)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// The face URL alone (a group's face from its tips).
pub async fn set_conv_face(c: &mut SqliteConnection, ct: u32, id: &str, face: &str) -> Result<(), Error> {
    sqlx::query("UPDATE conversations SET face_url = ? WHERE conv_type = ? AND conv_id = ?")
        .bind(face)
        .bind(ct as i64)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn add_unread(c: &mut SqliteConnection, ct: u32, id: &str, n: i64) -> Result<(), Error> {
    sqlx::query("UPDATE conversations SET unread = MAX(0, unread + ?) WHERE conv_type = ? AND conv_id = ?")
        .bind(n)
        .bind(ct as i64)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn set_peer_read(c: &mut SqliteConnection, peer: &str, time: u64) -> Result<(), Error> {
    sqlx::query("UPDATE conversations SET peer_read_time = MAX(peer_read_time, ?) WHERE conv_type = 1 AND conv_id = ?")
        .bind(time as i64)
        .bind(peer)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn set_draft(c: &mut SqliteConnection, ct: u32, id: &str, draft: Option<&Draft>) -> Result<(), Error> {
    let json = draft.map(serde_json::to_string).transpose().map_err(corrupt)?;
    sqlx::query("UPDATE conversations SET draft = ? WHERE conv_type = ? AND conv_id = ?")
        .bind(json)
        .bind(ct as i64)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Record a pin (or its removal) locally; returns whether anything changed.
pub async fn set_pin(c: &mut SqliteConnection, pin: &ConvPin, pinned: bool) -> Result<bool, Error> {
    let r = if pinned {
        sqlx::query("INSERT OR IGNORE INTO conv_pins (conv_type, conv_id, pinned_time) VALUES (?, ?, ?)")
            .bind(pin.conv_type as i64)
            .bind(&pin.conv_id)
            .bind(pin.pinned_time as i64)
            .execute(&mut *c)
            .await?
    } else {
        sqlx::query("DELETE FROM conv_pins WHERE conv_type = ? AND conv_id = ?")
            .bind(pin.conv_type as i64)
            .bind(&pin.conv_id)
            .execute(&mut *c)
            .await?
    };
    Ok(r.rows_affected() > 0)
}

/// Every locally pinned conversation.
pub async fn pinned_convs(c: &mut SqliteConnection) -> Result<Vec<(u32, String)>, Error> {
    Ok(sqlx::query("SELECT conv_type, conv_id FROM conv_pins")
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| (r.get::<i64, _>("conv_type") as u32, r.get::<String, _>("conv_id")))
        .collect())
}

/// Cache one group's type.
pub async fn set_group_type(c: &mut SqliteConnection, gid: &str, t: u32) -> Result<(), Error> {
    kv_set(c, &group_type_key(gid), &t.to_string()).await
}

/// Forget a group's type (the user left it).
pub async fn forget_group_type(c: &mut SqliteConnection, gid: &str) -> Result<(), Error> {
    kv_delete(c, &group_type_key(gid)).await
}
