//! What a client may send as a message: element types, ids and sizes; the content hook.
use confab_protocol::enums::elem_type;
use confab_protocol::wire::is_valid_msg_id;
use confab_protocol::{codes, Elem, Message};
use rand::Rng;

use crate::error::{refused, Result};

/// TIM's limit on a message's content, cloud custom data included (the SDK enforces 8 KB of
/// content itself, 8001).
pub const MAX_BODY_BYTES: usize = 12 * 1024;
/// Largest stored element array, merged records included.
pub const MAX_STORED_BYTES: usize = 512 * 1024;
/// Messages per roaming history page.
pub const HISTORY_MAX: u32 = 100;
/// Inbox events per sync page.
pub const SYNC_PAGE: i64 = 200;
/// Bytes of events or messages one page may carry: a page is cut before it passes this (but
/// holds at least one item), so every answer stays under the frame limit (1 MiB) whatever the
/// messages weigh. The largest single message (merged records included) is well below it.
pub const PAGE_BYTES: usize = 768 * 1024;

/// Keep items from the front while their serialized sizes stay within [`PAGE_BYTES`] (at least
/// one); whether any were cut.
pub fn cut_page<T: serde::Serialize>(items: &mut Vec<T>) -> bool {
    let mut total = 0usize;
    for (i, it) in items.iter().enumerate() {
        total += serde_json::to_vec(it).map(|v| v.len() + 1).unwrap_or(usize::MAX / 2);
        if total > PAGE_BYTES && i > 0 {
            items.truncate(i);
            return true;
        }
    }
    false
}

/// Refuse what a client may not send: no elements, element types only the server creates,
/// unknown types, a malformed message id, a body over the limits.
pub fn check_client_message(msg: &Message) -> Result<()> {
    if msg.message_elem_array.is_empty() {
        return Err(refused(codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT, "message has no elements"));
    }
    for el in &msg.message_elem_array {
        match el.elem_type() {
            elem_type::GROUP_TIPS | elem_type::GROUP_REPORT | elem_type::FRIEND_CHANGE | elem_type::PROFILE_CHANGE => {
                return Err(refused(
                    codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                    "this element type cannot be sent by a client",
                ));
            }
            t if !(0..=12).contains(&t) => {
                return Err(refused(codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT, "unknown element type"))
            }
            _ => {}
        }
    }
    // A media element names its uploaded content by id; one that names a local file instead
    // points at a file of some receiver's disk (S-1): refused. (Paths beside ids are cleared.)
    for el in &msg.message_elem_array {
        let path_for_id = match el {
            Elem::Image(i) => i.image_elem_orig_id.is_empty() && !i.image_elem_orig_path.is_empty(),
            Elem::Sound(x) => x.sound_elem_file_id.is_empty() && !x.sound_elem_file_path.is_empty(),
            Elem::File(x) => x.file_elem_file_id.is_empty() && !x.file_elem_file_path.is_empty(),
            Elem::Video(v) => {
                (v.video_elem_video_id.is_empty() && !v.video_elem_video_path.is_empty())
                    || (v.video_elem_image_id.is_empty() && !v.video_elem_image_path.is_empty())
            }
            _ => false,
        };
        if path_for_id {
            return Err(refused(
                codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                "a media element names a local file instead of uploaded content",
            ));
        }
    }
    if !is_valid_msg_id(&msg.message_msg_id) {
        return Err(refused(codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT, "invalid message id"));
    }
    // TIM's 12 KB counts the message's content, its cloud custom data included; merged records
    // ride outside it, but the whole stored message is capped too.
    let body_len = serde_json::to_vec(&msg.message_elem_array).map(|v| v.len()).unwrap_or(usize::MAX);
    let content = confab_protocol::message::content_bytes(&msg.message_elem_array)
        .saturating_add(msg.message_cloud_custom_str.len());
    if content > MAX_BODY_BYTES || body_len > MAX_STORED_BYTES {
        return Err(refused(codes::ERR_SVR_COMM_BODY_SIZE_LIMIT, "message body is too large"));
    }
    Ok(())
}

/// Apply the content hook; returns whether anything changed.
pub fn filter_words(words: &[String], elems: &mut [Elem]) -> bool {
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

/// A 64-bit message unique id with the top bits set, so that clients must keep it integral.
pub fn new_unique_id() -> u64 {
    (1u64 << 62) | (rand::thread_rng().gen::<u64>() >> 2)
}

/// The C2C conversation key: both user ids, sorted, joined by '\n'.
pub fn c2c_key(a: &str, b: &str) -> String {
    if a <= b {
        format!("{a}\n{b}")
    } else {
        format!("{b}\n{a}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c2c_key_is_symmetric() {
        assert_eq!(c2c_key("bob", "alice"), c2c_key("alice", "bob"));
        assert_eq!(c2c_key("alice", "bob"), "alice\nbob");
    }

    #[test]
    fn word_filter_masks_by_characters() {
        let mut elems =
            vec![Elem::Text(confab_protocol::message::TextElem { text_elem_content: "你好 bad world".into() })];
        assert!(filter_words(&["bad".into(), "你好".into()], &mut elems));
        let Elem::Text(t) = &elems[0] else { panic!() };
        assert_eq!(t.text_elem_content, "** *** world");
    }
}
