//! The rules of each group type (seed 004), and the limits of group fields.
//!
//! | rule | Private (Work) | Public | ChatRoom (Meeting), Community | AVChatRoom (and BChatRoom) |
//! |---|---|---|---|---|
//! | join by applying | no (10007) | by add option: Forbid 10007, Auth → join request, Any → joined | free | free |
//! | invite | any member, joined at once | any member; the invitee must accept | as Public | nobody (10007) |
//! | kick | owner | owner, admins (only members below them) | as Public | nobody (10007) |
//! | quit | anyone (an owner leaves the group ownerless) | all but the owner (10009) | as Public | as Public |
//! | dismiss | nobody (10007) | owner | owner | owner |
//! | name, notification, introduction, face | any member | owner, admins | owner, admins | owner, admins |
//! | add option, max members, mute all, custom | owner, admins | owner, admins | owner, admins | owner, admins |
//! | transfer ownership | owner | owner | owner | nobody (10007) |
//! | set / cancel admin | owner | owner | owner | nobody (10007) |
//! | mute a member | owner, admins (only members below them) | same | same | same |
//! | history | stored | stored | stored | none: messages and tips reach online members only |
//!
//! The handlers in `handlers::groups` apply this table inside the write job that changes the
//! group, after `Tx::lock_group`.
use confab_protocol::codes;
use confab_protocol::enums::group_type;
use confab_protocol::group::{GroupInfoCustomString, GroupMemberInfoCustomString};
use rand::Rng;

use crate::error::{refused, Result};

pub const NAME_MAX: usize = 30;
pub const INTRODUCTION_MAX: usize = 240;
pub const NOTIFICATION_MAX: usize = 300;
pub const FACE_URL_MAX: usize = 100;
pub const NAME_CARD_MAX: usize = 50;
pub const GROUP_ID_MAX: usize = 48;
/// Hello messages, handle messages and custom data.
pub const TEXT_MAX: usize = 1024;
pub const CUSTOM_KEYS_MAX: usize = 20;
pub const CUSTOM_KEY_MAX: usize = 32;
pub const CUSTOM_VALUE_MAX: usize = 512;
/// Users per invite / kick request and groups per info request.
pub const BATCH_MAX: usize = 500;
/// Members per page of `TIMGroupGetMemberInfoList`.
pub const MEMBER_PAGE: usize = 50;
pub const PENDENCY_PAGE: u32 = 20;
pub const PENDENCY_PAGE_MAX: u32 = 100;

/// The member limit of a group type (spec §7).
pub fn max_members(t: u32) -> u32 {
    match t {
        group_type::PRIVATE => 200,
        group_type::PUBLIC => 2000,
        group_type::CHAT_ROOM => 6000,
        group_type::COMMUNITY => 100_000,
        _ => u32::MAX,
    }
}

/// Live-broadcast rooms: no stored history, no kick, no invite, no roles.
pub fn is_av(t: u32) -> bool {
    t == group_type::AV_CHAT_ROOM || t == group_type::B_CHAT_ROOM
}

/// Caller-chosen group ids: printable ASCII without spaces, at most 48 bytes; `@TGS#` is
/// reserved for server-assigned ids, except that Community ids must start with `@TGS#_`.
pub fn valid_custom_group_id(id: &str, t: u32) -> bool {
    let shape = !id.is_empty() && id.len() <= GROUP_ID_MAX && id.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if t == group_type::COMMUNITY {
        shape && id.starts_with("@TGS#_") && id.len() > 6
    } else {
        shape && !id.starts_with("@TGS#")
    }
}

/// A server-assigned group id of type `t`.
pub fn new_group_id(t: u32) -> String {
    let suffix: String =
        rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(10).map(char::from).collect();
    if t == group_type::COMMUNITY {
        format!("@TGS#_{suffix}")
    } else {
        format!("@TGS#{suffix}")
    }
}

/// The secret that proves a pendency's handler got it from us.
pub fn pendency_secret() -> String {
    let mut rng = rand::thread_rng();
    (0..16).map(|_| format!("{:x}", rng.gen::<u8>() & 0xf)).collect()
}

/// Seconds; a 13-digit value is taken as milliseconds.
pub fn secs(t: u64) -> u64 {
    if t > 100_000_000_000 {
        t / 1000
    } else {
        t
    }
}

pub fn dedup(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

/// The users of an invite or kick: deduplicated, 1 to BATCH_MAX of them.
pub fn batch_ids(list: &[String], empty: &str) -> Result<Vec<String>> {
    let ids = dedup(list);
    if ids.is_empty() {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, empty));
    }
    if ids.len() > BATCH_MAX {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "at most 500 users per request"));
    }
    Ok(ids)
}

pub fn check_len(v: &str, max: usize, what: &str) -> Result<()> {
    if v.len() > max {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, format!("{what} is longer than {max} bytes")));
    }
    Ok(())
}

pub fn check_name(v: &str) -> Result<()> {
    if v.is_empty() {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "the group name is empty"));
    }
    check_len(v, NAME_MAX, "the group name")
}

pub fn check_group_custom(items: &[GroupInfoCustomString]) -> Result<()> {
    if items.len() > CUSTOM_KEYS_MAX {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "too many custom fields"));
    }
    for c in items {
        check_custom_pair(&c.group_info_custom_string_info_key, &c.group_info_custom_string_info_value)?;
    }
    Ok(())
}

pub fn check_member_custom(items: &[GroupMemberInfoCustomString]) -> Result<()> {
    if items.len() > CUSTOM_KEYS_MAX {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "too many custom fields"));
    }
    for c in items {
        check_custom_pair(&c.group_member_info_custom_string_info_key, &c.group_member_info_custom_string_info_value)?;
    }
    Ok(())
}

fn check_custom_pair(k: &str, v: &str) -> Result<()> {
    if k.is_empty() || k.len() > CUSTOM_KEY_MAX {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "custom field keys are 1 to 32 bytes"));
    }
    check_len(v, CUSTOM_VALUE_MAX, "a custom field value")
}

/// Merge custom fields by key; an empty value removes the key.
pub fn merge_custom<T: Clone>(
    cur: &mut Vec<T>,
    new: &[T],
    key: impl Fn(&T) -> &str,
    value: impl Fn(&T) -> &str,
) -> Result<()> {
    for n in new {
        cur.retain(|c| key(c) != key(n));
        if !value(n).is_empty() {
            cur.push(n.clone());
        }
    }
    if cur.len() > CUSTOM_KEYS_MAX {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "too many custom fields"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_group_ids() {
        assert!(valid_custom_group_id("team-1", group_type::PUBLIC));
        assert!(!valid_custom_group_id("@TGS#abc", group_type::PUBLIC));
        assert!(valid_custom_group_id("@TGS#_abc", group_type::COMMUNITY));
        assert!(!valid_custom_group_id("abc", group_type::COMMUNITY));
        assert!(!valid_custom_group_id(&"x".repeat(49), group_type::PUBLIC));
    }

    #[test]
    fn merge_custom_removes_empty_values() {
        let mut cur = vec![("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())];
        let new = vec![("a".to_string(), String::new()), ("c".to_string(), "3".to_string())];
        merge_custom(&mut cur, &new, |c| c.0.as_str(), |c| c.1.as_str()).unwrap();
        assert_eq!(cur, vec![("b".to_string(), "2".to_string()), ("c".to_string(), "3".to_string())]);
    }

    #[test]
    fn millisecond_times_become_seconds() {
        assert_eq!(secs(1_700_000_000), 1_700_000_000);
        assert_eq!(secs(1_700_000_000_123), 1_700_000_000);
    }
}
