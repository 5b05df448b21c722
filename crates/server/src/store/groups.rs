//! Groups and their members.
use confab_protocol::enums::{group_member_info_flag as info_flag, recv_msg_opt};
use confab_protocol::group::{GroupInfoCustomString, GroupMemberInfo, GroupMemberInfoCustomString};

use super::{sql, Conn, Effect, Tx};
use crate::config::now_secs;
use crate::error::{corrupt, Result};

/// A group's row.
#[derive(Debug, Clone)]
pub struct GroupRow {
    pub id: String,
    pub group_type: u32,
    pub name: String,
    pub owner: String,
    pub notification: String,
    pub introduction: String,
    pub face_url: String,
    pub add_option: u32,
    pub max_members: u32,
    pub create_time: u64,
    pub info_seq: u64,
    pub last_info_time: u64,
    pub shutup_all: bool,
    pub visible: u32,
    pub searchable: u32,
    pub custom: Vec<GroupInfoCustomString>,
}

#[derive(sqlx::FromRow)]
struct RawGroup {
    group_id: String,
    group_type: i64,
    name: String,
    owner: String,
    notification: String,
    introduction: String,
    face_url: String,
    add_option: i64,
    max_members: i64,
    create_time: i64,
    info_seq: i64,
    last_info_time: i64,
    shutup_all: i64,
    visible: i64,
    searchable: i64,
    custom_info: String,
}

impl RawGroup {
    fn into_row(self) -> Result<GroupRow> {
        Ok(GroupRow {
            id: self.group_id,
            group_type: self.group_type as u32,
            name: self.name,
            owner: self.owner,
            notification: self.notification,
            introduction: self.introduction,
            face_url: self.face_url,
            add_option: self.add_option as u32,
            max_members: self.max_members as u32,
            create_time: self.create_time as u64,
            info_seq: self.info_seq as u64,
            last_info_time: self.last_info_time as u64,
            shutup_all: self.shutup_all != 0,
            visible: self.visible as u32,
            searchable: self.searchable as u32,
            custom: serde_json::from_str(&self.custom_info).map_err(corrupt)?,
        })
    }
}

const GROUP_COLUMNS: &str = "group_id, group_type, name, owner, notification, introduction, face_url, add_option, \
     max_members, create_time, info_seq, last_info_time, shutup_all, visible, searchable, custom_info";

/// A member's row, with the user's nick name and face URL.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub user_id: String,
    pub role: u32,
    pub join_time: u64,
    pub msg_flag: u32,
    pub shutup_until: u64,
    pub name_card: String,
    pub custom: Vec<GroupMemberInfoCustomString>,
    pub nick_name: String,
    pub face_url: String,
}

#[derive(sqlx::FromRow)]
struct RawMember {
    user_id: String,
    role: i64,
    join_time: i64,
    msg_flag: i64,
    shutup_until: i64,
    name_card: String,
    custom_info: String,
    nick_name: String,
    face_url: String,
}

impl RawMember {
    fn into_row(self) -> Result<MemberRow> {
        Ok(MemberRow {
            user_id: self.user_id,
            role: self.role as u32,
            join_time: self.join_time as u64,
            msg_flag: self.msg_flag as u32,
            shutup_until: self.shutup_until as u64,
            name_card: self.name_card,
            custom: serde_json::from_str(&self.custom_info).map_err(corrupt)?,
            nick_name: self.nick_name,
            face_url: self.face_url,
        })
    }
}

const MEMBER_SELECT: &str = "SELECT m.user_id, m.role, m.join_time, m.msg_flag, m.shutup_until, m.name_card, \
     m.custom_info, COALESCE(u.nick_name, '') AS nick_name, COALESCE(u.face_url, '') AS face_url \
     FROM group_members m LEFT JOIN users u ON u.user_id = m.user_id";

impl MemberRow {
    /// The member as `TIMGroupGetMemberInfoList` shows it, with the fields `flags` asks for.
    pub fn info(&self, group_id: &str, flags: u64, keys: &[String]) -> GroupMemberInfo {
        let has = |bit: u64| flags & bit != 0;
        let now = now_secs();
        GroupMemberInfo {
            group_member_info_identifier: self.user_id.clone(),
            group_member_info_group_id: group_id.to_string(),
            group_member_info_join_time: if has(info_flag::JOIN_TIME) { self.join_time } else { 0 },
            group_member_info_member_role: if has(info_flag::MEMBER_ROLE) { self.role } else { 0 },
            group_member_info_msg_flag: if has(info_flag::MSG_FLAG) { self.msg_flag } else { 0 },
            group_member_info_shutup_time: if has(info_flag::SHUTUP_UNTILL) && self.shutup_until > now {
                self.shutup_until
            } else {
                0
            },
            group_member_info_name_card: if has(info_flag::NAME_CARD) { self.name_card.clone() } else { String::new() },
            group_member_info_nick_name: self.nick_name.clone(),
            group_member_info_face_url: self.face_url.clone(),
            group_member_info_custom_info: self
                .custom
                .iter()
                .filter(|c| keys.is_empty() || keys.contains(&c.group_member_info_custom_string_info_key))
                .cloned()
                .collect(),
            ..Default::default()
        }
    }
}

/// One of my groups, as `TIMGroupGetJoinedGroupList` needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JoinedGroupRow {
    pub group_id: String,
    pub name: String,
    pub group_type: i64,
    pub face_url: String,
    pub info_seq: i64,
    pub shutup_all: i64,
    pub role: i64,
    pub join_time: i64,
    pub msg_flag: i64,
    pub latest: Option<i64>,
    pub read_time: i64,
}

/// Where one of my groups' history stands (`Request::GroupCursors`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupCursorRow {
    pub group_id: String,
    pub group_type: i64,
    pub msg_flag: i64,
    pub join_seq: i64,
    pub latest: Option<i64>,
}

/// A group being created.
pub struct NewGroup<'a> {
    pub id: &'a str,
    pub group_type: u32,
    pub name: &'a str,
    pub owner: &'a str,
    pub notification: &'a str,
    pub introduction: &'a str,
    pub face_url: &'a str,
    pub add_option: u32,
    pub max_members: u32,
    pub custom_json: &'a str,
    pub now: u64,
}

impl Conn {
    pub async fn group(&mut self, gid: &str) -> Result<Option<GroupRow>> {
        let q = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE group_id = $1");
        sql!(opt RawGroup; self, &q, gid)?.map(RawGroup::into_row).transpose()
    }

    pub async fn member(&mut self, gid: &str, user: &str) -> Result<Option<MemberRow>> {
        let q = format!("{MEMBER_SELECT} WHERE m.group_id = $1 AND m.user_id = $2");
        sql!(opt RawMember; self, &q, gid, user)?.map(RawMember::into_row).transpose()
    }

    /// `user`'s role in the group; `None` when not a member.
    pub async fn role(&mut self, gid: &str, user: &str) -> Result<Option<u32>> {
        let r = sql!(scalar_opt i64; self,
            "SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2", gid, user)?;
        Ok(r.map(|r| r as u32))
    }

    /// Every member, ordered by user id.
    pub async fn member_ids(&mut self, gid: &str) -> Result<Vec<String>> {
        Ok(sql!(scalar_all String; self,
            "SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id", gid)?)
    }

    pub async fn member_count(&mut self, gid: &str) -> Result<u32> {
        let n = sql!(scalar_one i64; self, "SELECT COUNT(*) FROM group_members WHERE group_id = $1", gid)?;
        Ok(n as u32)
    }

    /// Members whose role is at least `role`, ordered by user id.
    pub async fn members_with_role(&mut self, gid: &str, role: u32) -> Result<Vec<String>> {
        Ok(sql!(scalar_all String; self,
            "SELECT user_id FROM group_members WHERE group_id = $1 AND role >= $2 ORDER BY user_id",
            gid, role as i64)?)
    }

    /// A page of members with the given roles: highest role first, then by join time.
    pub async fn members_page(&mut self, gid: &str, roles: &[u32], limit: i64, offset: i64) -> Result<Vec<MemberRow>> {
        // Three role slots, padded with the first role (a role list holds 1 to 3 roles).
        let r = |i: usize| roles.get(i).or(roles.first()).copied().unwrap_or(0) as i64;
        let q = format!(
            "{MEMBER_SELECT} WHERE m.group_id = $1 AND m.role IN ($2, $3, $4)
             ORDER BY m.role DESC, m.join_time, m.user_id LIMIT $5 OFFSET $6"
        );
        let rows = sql!(all RawMember; self, &q, gid, r(0), r(1), r(2), limit, offset)?;
        rows.into_iter().map(RawMember::into_row).collect()
    }

    /// Every group `me` is in: its type, my receive option, where my view starts, its newest seq.
    pub async fn group_cursors(&mut self, me: &str) -> Result<Vec<GroupCursorRow>> {
        Ok(sql!(all GroupCursorRow; self,
            "SELECT m.group_id, g.group_type, m.msg_flag, m.join_seq,
                    (SELECT MAX(seq) FROM messages WHERE conv_type = 2 AND conv_key = m.group_id) AS latest
             FROM group_members m JOIN groups g ON g.group_id = m.group_id WHERE m.user_id = $1
             ORDER BY m.group_id",
            me)?)
    }

    /// The groups whose messages `me` receives (for subscriptions at login).
    pub async fn receiving_groups(&mut self, me: &str) -> Result<Vec<String>> {
        Ok(sql!(scalar_all String; self,
            "SELECT group_id FROM group_members WHERE user_id = $1 AND msg_flag != $2",
            me, recv_msg_opt::NOT_RECEIVE as i64)?)
    }

    /// The groups `me` is in, with each group's newest seq and my read mark.
    pub async fn joined_groups(&mut self, me: &str) -> Result<Vec<JoinedGroupRow>> {
        Ok(sql!(all JoinedGroupRow; self,
            "SELECT g.group_id, g.name, g.group_type, g.face_url, g.info_seq, g.shutup_all, m.role, m.join_time,
                    m.msg_flag,
                    (SELECT MAX(seq) FROM messages WHERE conv_type = 2 AND conv_key = g.group_id) AS latest,
                    COALESCE((SELECT time FROM read_marks
                              WHERE user_id = m.user_id AND conv_type = 2 AND conv_id = g.group_id), 0) AS read_time
             FROM group_members m JOIN groups g ON g.group_id = m.group_id WHERE m.user_id = $1
             ORDER BY g.group_id",
            me)?)
    }
}

impl Tx {
    /// Load a group and hold its lock until commit: membership, roles and settings checked
    /// after this stay true until the job ends.
    pub async fn lock_group(&mut self, gid: &str) -> Result<Option<GroupRow>> {
        if self.conn.is_pg() {
            // Other nodes write too: the group's row stays locked until this transaction ends.
            let q = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE group_id = $1 FOR UPDATE");
            return sql!(opt RawGroup; self, &q, gid)?.map(RawGroup::into_row).transpose();
        }
        // SQLite: the one writer runs jobs one at a time, so reading is locking.
        self.conn.group(gid).await
    }

    /// Create a group; false when the id is in use.
    pub async fn insert_group(&mut self, g: &NewGroup<'_>) -> Result<bool> {
        let now = g.now as i64;
        let n = sql!(exec self,
            "INSERT INTO groups (group_id, group_type, name, owner, notification, introduction, face_url,
                                 add_option, max_members, create_time, last_info_time, custom_info)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) ON CONFLICT (group_id) DO NOTHING",
            g.id, g.group_type as i64, g.name, g.owner, g.notification, g.introduction, g.face_url,
            g.add_option as i64, i64::from(g.max_members), now, g.custom_json)?;
        Ok(n > 0)
    }

    /// A re-used group id (the earlier group was dismissed) starts a fresh history.
    pub async fn set_history_floor(&mut self, gid: &str) -> Result<()> {
        sql!(exec self,
            "UPDATE groups SET history_floor =
               (SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conv_type = 2 AND conv_key = $1)
             WHERE group_id = $1",
            gid)?;
        Ok(())
    }

    /// Add a member; their view of the group's history starts after its newest seq now.
    pub async fn insert_member(&mut self, gid: &str, user: &str, role: u32, now: u64) -> Result<()> {
        let join_seq = self.current_conv_seq(2, gid).await?;
        sql!(exec self,
            "INSERT INTO group_members (group_id, user_id, role, join_time, join_seq) VALUES ($1, $2, $3, $4, $5)",
            gid, user, role as i64, now as i64, join_seq as i64)?;
        self.effects.push(Effect::Membership { gid: gid.to_string(), user: user.to_string(), receiving: true });
        Ok(())
    }

    pub async fn remove_member(&mut self, gid: &str, user: &str) -> Result<()> {
        sql!(exec self, "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2", gid, user)?;
        self.effects.push(Effect::Membership { gid: gid.to_string(), user: user.to_string(), receiving: false });
        Ok(())
    }

    /// Delete a group with its members and pendencies (its messages stay for history floors).
    pub async fn drop_group(&mut self, gid: &str) -> Result<()> {
        sql!(exec self, "DELETE FROM group_members WHERE group_id = $1", gid)?;
        sql!(exec self, "DELETE FROM group_pendency WHERE group_id = $1", gid)?;
        sql!(exec self, "DELETE FROM groups WHERE group_id = $1", gid)?;
        self.effects.push(Effect::GroupGone { gid: gid.to_string() });
        Ok(())
    }

    /// The owner left a Private group: it has no owner now.
    pub async fn clear_owner(&mut self, gid: &str) -> Result<()> {
        sql!(exec self, "UPDATE groups SET owner = '' WHERE group_id = $1", gid)?;
        Ok(())
    }

    /// Write a group's changeable settings, bumping its info seq.
    pub async fn update_group(&mut self, g: &GroupRow, now: u64) -> Result<()> {
        let custom = serde_json::to_string(&g.custom).map_err(corrupt)?;
        sql!(exec self,
            "UPDATE groups SET name = $1, notification = $2, introduction = $3, face_url = $4, add_option = $5,
                    max_members = $6, visible = $7, searchable = $8, shutup_all = $9, custom_info = $10,
                    info_seq = info_seq + 1, last_info_time = $11
             WHERE group_id = $12",
            &g.name, &g.notification, &g.introduction, &g.face_url, g.add_option as i64, i64::from(g.max_members),
            i64::from(g.visible), i64::from(g.searchable), g.shutup_all as i64, custom, now as i64, &g.id)?;
        Ok(())
    }

    /// Hand the ownership to `owner`, bumping the info seq.
    pub async fn set_owner(&mut self, gid: &str, owner: &str, now: u64) -> Result<()> {
        sql!(exec self,
            "UPDATE groups SET owner = $1, info_seq = info_seq + 1, last_info_time = $2 WHERE group_id = $3",
            owner, now as i64, gid)?;
        Ok(())
    }

    pub async fn set_member_role(&mut self, gid: &str, user: &str, role: u32) -> Result<()> {
        sql!(exec self, "UPDATE group_members SET role = $1 WHERE group_id = $2 AND user_id = $3",
            role as i64, gid, user)?;
        Ok(())
    }

    pub async fn set_member_msg_flag(&mut self, gid: &str, user: &str, flag: u32) -> Result<()> {
        sql!(exec self, "UPDATE group_members SET msg_flag = $1 WHERE group_id = $2 AND user_id = $3",
            flag as i64, gid, user)?;
        let receiving = flag != recv_msg_opt::NOT_RECEIVE;
        self.effects.push(Effect::Membership { gid: gid.to_string(), user: user.to_string(), receiving });
        Ok(())
    }

    /// Write a member's changeable fields.
    pub async fn update_member(&mut self, gid: &str, m: &MemberRow) -> Result<()> {
        let custom = serde_json::to_string(&m.custom).map_err(corrupt)?;
        sql!(exec self,
            "UPDATE group_members SET msg_flag = $1, role = $2, shutup_until = $3, name_card = $4, custom_info = $5
             WHERE group_id = $6 AND user_id = $7",
            m.msg_flag as i64, m.role as i64, m.shutup_until as i64, &m.name_card, custom, gid, &m.user_id)?;
        let receiving = m.msg_flag != recv_msg_opt::NOT_RECEIVE;
        self.effects.push(Effect::Membership { gid: gid.to_string(), user: m.user_id.clone(), receiving });
        Ok(())
    }
}
