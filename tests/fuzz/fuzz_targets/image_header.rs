//! The dimensions an uploaded image's header declares, read as the server reads them.
#![no_main]
use confab_server::fuzzing::image_dims_in;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = image_dims_in(&mut std::io::Cursor::new(data));
});
