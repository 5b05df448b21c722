//! Media elements of a message as the sender holds them: which still need uploading, the copy
//! that goes on the wire (local paths stay on this device), and the local paths put back into
//! the server's copy.
use confab_protocol::{Elem, Message};

/// Whether a message has media whose files still need uploading.
pub fn needs_upload(m: &Message) -> bool {
    m.message_elem_array.iter().any(elem_needs_upload)
}

/// An element with a local path and no id yet is uploaded; one with neither (metadata only,
/// e.g. imported) goes out as it is.
pub fn elem_needs_upload(e: &Elem) -> bool {
    match e {
        Elem::Image(i) => i.image_elem_orig_id.is_empty() && !i.image_elem_orig_path.is_empty(),
        Elem::Sound(s) => s.sound_elem_file_id.is_empty() && !s.sound_elem_file_path.is_empty(),
        Elem::File(f) => f.file_elem_file_id.is_empty() && !f.file_elem_file_path.is_empty(),
        Elem::Video(v) => v.video_elem_video_id.is_empty() && !v.video_elem_video_path.is_empty(),
        _ => false,
    }
}

/// The copy of a message that goes on the wire: local paths stay on this device.
pub fn wire_copy(m: &Message) -> Message {
    let mut w = m.clone();
    confab_protocol::message::clear_local_paths(&mut w.message_elem_array);
    w
}

/// Put the sender's local paths back into the server's copy of a sent message.
pub fn restore_paths(local: &Message, server: &mut Message) {
    for (l, s) in local.message_elem_array.iter().zip(server.message_elem_array.iter_mut()) {
        match (l, s) {
            (Elem::Image(l), Elem::Image(s)) => s.image_elem_orig_path.clone_from(&l.image_elem_orig_path),
            (Elem::Sound(l), Elem::Sound(s)) => s.sound_elem_file_path.clone_from(&l.sound_elem_file_path),
            (Elem::File(l), Elem::File(s)) => s.file_elem_file_path.clone_from(&l.file_elem_file_path),
            (Elem::Video(l), Elem::Video(s)) => {
                s.video_elem_video_path.clone_from(&l.video_elem_video_path);
                s.video_elem_image_path.clone_from(&l.video_elem_image_path);
            }
            _ => {}
        }
    }
}
