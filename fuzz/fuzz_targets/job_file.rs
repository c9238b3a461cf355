#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    observatoire::fuzz::job_file(data);
});
