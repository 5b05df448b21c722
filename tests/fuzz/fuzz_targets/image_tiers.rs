//! An image file a person sends: decoded under the SDK's limits and cut into its tiers.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = confab_core::imaging::make_tiers(data) {
        let _ = t;
    }
});
