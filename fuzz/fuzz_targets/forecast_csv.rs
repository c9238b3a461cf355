#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    observatoire::fuzz::forecast_csv(data);
});
