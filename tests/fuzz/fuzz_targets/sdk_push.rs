//! A frame from the server as the SDK's reader decodes it, and the steps the processor runs on
//! a pushed message before storing it: local paths cleared, the search text, @-mentions, the
//! merge with a local copy.
#![no_main]
use confab_core::fuzzing::{cjk_tokens, merge_server_fields, search_text};
use confab_protocol::message::clear_local_paths;
use confab_protocol::wire::{Event, ServerFrame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(ServerFrame::Push(p)) = serde_json::from_str::<ServerFrame>(text) else { return };
    match p.event {
        Event::NewMsg { mut msg } | Event::GroupMsg { mut msg } | Event::MsgUpdated { mut msg } => {
            clear_local_paths(&mut msg.message_elem_array);
            let t = search_text(&msg);
            let _ = cjk_tokens(&t);
            let _ = confab_core::group_at_type(&msg.message_group_at_user_array, "me");
            let merged = merge_server_fields(msg.clone(), msg);
            serde_json::to_string(&merged).expect("a merged message serialises");
        }
        _ => {}
    }
});
