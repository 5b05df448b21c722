//! An HTTP Range header against a blob of some size: a range is inside the blob or refused.
#![no_main]
use confab_server::fuzzing::parse_range;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let size = u64::from(data[0]) * 1000 + u64::from(data[1]);
    let Ok(v) = std::str::from_utf8(&data[2..]) else { return };
    if let Some((a, b)) = parse_range(v, size) {
        assert!(a <= b && b < size, "{v:?} over {size} bytes gave {a}-{b}");
    }
});
