//! A frame from a client: decoded as the gateway decodes it, then a send's message goes
//! through the server's checks (element rules, the 12 KB cap, media references, word filter).
#![no_main]
use confab_protocol::wire::{ClientFrame, Request};
use confab_server::fuzzing::{check_client_message, declared, elem_ids, filter_words};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(frame) = serde_json::from_str::<ClientFrame>(text) else { return };
    if let Request::SendMsg { mut msg, .. } = frame.req {
        let checked = check_client_message(&msg);
        let _ = elem_ids(&msg.message_elem_array);
        let _ = declared(&msg.message_elem_array).len();
        filter_words(&["bad".to_string(), "词".to_string()], &mut msg.message_elem_array);
        // What passed the checks serialises again (it is stored and pushed as JSON).
        if checked.is_ok() {
            serde_json::to_string(&msg).expect("a checked message serialises");
        }
    }
});
