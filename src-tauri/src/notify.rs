//! Desktop notifications for new messages: only for others' messages, never for conversations
//! set to "do not receive" or "receive without notification" (`conv_recv_opt` 1 or 2), and only
//! when the window is unfocused or shows another conversation.
use confab_protocol::enums::{conv_type, elem_type, recv_msg_opt};
use confab_protocol::Message;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::dto::ConvKey;

/// The notification rule. `recv_opt` is the conversation's receive option.
pub fn should_notify(m: &Message, recv_opt: u32, window_focused: bool, open: Option<&ConvKey>) -> bool {
    if m.message_is_from_self || recv_opt != recv_msg_opt::RECEIVE {
        return false;
    }
    let shown = open.is_some_and(|c| c.conv_id == m.message_conv_id && c.conv_type == m.message_conv_type);
    !(window_focused && shown)
}

/// The notification's title and body. Text is cut to a short preview.
pub fn summary(m: &Message) -> (String, String) {
    let sender = m
        .message_sender_profile
        .as_ref()
        .map(|p| p.user_profile_nick_name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| m.message_sender.clone());
    let title =
        if m.message_conv_type == conv_type::GROUP { format!("{sender} ({})", m.message_conv_id) } else { sender };
    let body = m
        .message_elem_array
        .first()
        .map(|e| {
            let v = serde_json::to_value(e).unwrap_or_default();
            match v.get("elem_type").and_then(|t| t.as_i64()).unwrap_or(-1) as i32 {
                elem_type::TEXT => {
                    let t = v.get("text_elem_content").and_then(|t| t.as_str()).unwrap_or_default();
                    let mut s: String = t.chars().take(120).collect();
                    if t.chars().count() > 120 {
                        s.push('…');
                    }
                    s
                }
                elem_type::IMAGE => "[Image]".into(),
                elem_type::SOUND => "[Voice]".into(),
                elem_type::FILE => "[File]".into(),
                elem_type::VIDEO => "[Video]".into(),
                elem_type::FACE => "[Sticker]".into(),
                elem_type::LOCATION => "[Location]".into(),
                _ => "[Message]".into(),
            }
        })
        .unwrap_or_default();
    (escape_markup(&title), escape_markup(&body))
}

/// Linux notification servers may read `<b>`, `<a href>` and `<img>` in a body (S-20): a
/// message's text is shown as text, never as markup. (Elsewhere notifications are plain text.)
fn escape_markup(s: &str) -> String {
    if !cfg!(target_os = "linux") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// The webview event that opens a conversation (payload: [`ConvKey`]), sent when the user clicks
/// a notification.
pub const OPEN_CONV_EVENT: &str = "confab://open-conv";

pub fn show(app: &AppHandle, m: &Message) {
    let (title, body) = summary(m);
    // The conversation travels with the notification, so a click can open it.
    let r = app
        .notification()
        .builder()
        .title(title)
        .body(body)
        .extra("conv_id", &m.message_conv_id)
        .extra("conv_type", m.message_conv_type)
        .show();
    if let Err(e) = r {
        tracing::warn!("notification failed: {e}");
    }
}

/// The conversation a clicked notification belongs to: only a click on the notification itself
/// (`tap`) opens it.
pub fn clicked_conv(action_id: &str, extra: &std::collections::HashMap<String, serde_json::Value>) -> Option<ConvKey> {
    if action_id != "tap" {
        return None;
    }
    let conv_id = extra.get("conv_id")?.as_str()?.to_string();
    let conv_type = extra.get("conv_type")?.as_u64()? as u32;
    Some(ConvKey { conv_id, conv_type })
}

/// Report clicks on our notifications: the window comes to the front and shows the
/// conversation. On Linux this needs a notification server that reports clicks
/// (`ActionInvoked` with the `default` action); where none does, nothing happens on a click.
pub fn install(app: &AppHandle) {
    let handle = app.clone();
    let r = app.notification().on_action(move |a| {
        let Some(conv) = a.notification().and_then(|n| clicked_conv(a.action_id(), n.extra())) else {
            return;
        };
        if let Some(w) = handle.get_webview_window("main") {
            let _ = w.unminimize();
            let _ = w.show();
            let _ = w.set_focus();
        }
        if let Err(e) = handle.emit(OPEN_CONV_EVENT, &conv) {
            tracing::warn!("could not ask the window to open a conversation: {e}");
        }
    });
    if let Err(e) = r {
        tracing::warn!("notification clicks will not be reported: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(from_self: bool, conv: &str) -> Message {
        serde_json::from_value(serde_json::json!({
            "message_conv_id": conv, "message_conv_type": 1, "message_sender": "bob",
            "message_is_from_self": from_self,
            "message_elem_array": [{"elem_type": 0, "text_elem_content": "hello"}],
        }))
        .unwrap()
    }

    #[test]
    fn test_notifies_unless_the_conversation_is_shown_in_a_focused_window() {
        let open = ConvKey { conv_id: "bob".into(), conv_type: 1 };
        let other = ConvKey { conv_id: "carol".into(), conv_type: 1 };
        assert!(!should_notify(&msg(false, "bob"), 0, true, Some(&open)));
        assert!(should_notify(&msg(false, "bob"), 0, false, Some(&open)));
        assert!(should_notify(&msg(false, "bob"), 0, true, Some(&other)));
        assert!(should_notify(&msg(false, "bob"), 0, true, None));
        assert!(!should_notify(&msg(true, "bob"), 0, false, None), "never for own messages");
        assert!(!should_notify(&msg(false, "bob"), 2, false, None), "never for receive-without-notification");
        assert!(!should_notify(&msg(false, "bob"), 1, false, None), "never for do-not-receive");
    }

    #[test]
    fn test_a_click_on_the_notification_opens_its_conversation() {
        let mut extra = std::collections::HashMap::new();
        extra.insert("conv_id".to_string(), serde_json::json!("bob"));
        extra.insert("conv_type".to_string(), serde_json::json!(1));
        assert_eq!(clicked_conv("tap", &extra), Some(ConvKey { conv_id: "bob".into(), conv_type: 1 }));
        assert_eq!(clicked_conv("reply", &extra), None, "only a click on the notification itself");
        assert_eq!(clicked_conv("tap", &Default::default()), None, "not one of ours");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn test_markup_in_a_message_is_shown_as_text() {
        let mut m = msg(false, "bob");
        m.message_elem_array = serde_json::from_value(serde_json::json!([{"elem_type": 0,
            "text_elem_content": "<a href=\"https://evil.example\">win</a> & <img src=x>"}]))
        .unwrap();
        let (_, body) = summary(&m);
        assert_eq!(body, "&lt;a href=\"https://evil.example\"&gt;win&lt;/a&gt; &amp; &lt;img src=x&gt;");
    }

    #[test]
    fn test_summary_is_sender_and_text() {
        assert_eq!(summary(&msg(false, "bob")), ("bob".to_string(), "hello".to_string()));
    }
}
