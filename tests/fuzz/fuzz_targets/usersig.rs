//! A UserSig as a client presents it: never a panic, and never accepted unless it was made with
//! the key (a random input that verifies is a forgery).
#![no_main]
use confab_server::usersig::verify;
use libfuzzer_sys::fuzz_target;

const KEY: &str = "fuzz-secret-key-0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    let Ok(sig) = std::str::from_utf8(data) else { return };
    let r = verify(1_400_000_001, KEY, "alice", sig, 1_800_000_000);
    assert!(r.is_err(), "a ticket not signed with the key was accepted");
});
