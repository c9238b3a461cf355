#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    observatoire::fuzz::offer_page(data);
});
