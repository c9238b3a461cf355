//! The fuzz targets of `observatoire::fuzz` in the test suite, on a short budget: every seed of
//! `fuzz/seeds/` (plus XLSX forms of the import seeds), then a fixed number of deterministic
//! mutations of them (fixed seed, so a failure is reproduced by rerunning the test). The long
//! runs, coverage-guided, are `cargo fuzz` in `scripts/robustness.sh`, which takes this corpus
//! (`OBSERVATOIRE_FUZZ_CORPUS=DIR` writes it out, XLSX seeds included). The inputs that the
//! fuzzers found failing are kept in `fuzz/regressions/<target>/` and replayed too.
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds")
}

/// A CSV text as an XLSX workbook of one sheet (numbers as numbers), as spreadsheets of the
/// open-data producers hold them, behind one banner row.
fn csv_to_xlsx(csv: &str) -> Vec<u8> {
    let header = csv.lines().next().unwrap_or("");
    let sep = if header.matches(';').count() > header.matches(',').count() {
        ';'
    } else {
        ','
    };
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Source : fichier de test du corpus")
        .unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep as u8)
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes());
    for (r, record) in reader.records().enumerate() {
        let Ok(record) = record else { break };
        for (c, v) in record.iter().enumerate() {
            let (row, col) = (r as u32 + 1, c as u16);
            // numbers as numbers, but codes with leading zeros ("0051") stay text
            match v.parse::<f64>() {
                Ok(x) if r > 0 && !(v.len() > 1 && v.starts_with('0') && !v.contains('.')) => {
                    ws.write_number(row, col, x).unwrap()
                }
                _ => ws.write_string(row, col, v).unwrap(),
            };
        }
    }
    wb.save_to_buffer().unwrap()
}

/// The corpus of one target: its seed files, and for the import target the XLSX forms.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = seeds_dir().join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if target == "import_file" {
            // first byte: source index; + number of sources: the same as XLSX (see src/fuzz.rs)
            let n = observatoire::collect::import::SOURCES.len() as u8;
            let mut x = vec![bytes[0] % n + n];
            x.extend(csv_to_xlsx(&String::from_utf8_lossy(&bytes[1..])));
            out.push((format!("{name}.xlsx"), x));
        }
        out.push((name, bytes));
    }
    out
}

const TOKENS: &[&[u8]] = &[
    b"\"",
    b",",
    b";",
    b"\n",
    b"\r\n",
    b"\0",
    b"-1",
    b"0",
    b"NaN",
    b"inf",
    b"1e308",
    b"99999999999999999999999999999999999999999999999999999999999999999999999999",
    b"0.0000000000001",
    b"12.5",
    b"3",
    b"100000",
    b"2024-01",
    b"\xc3\xa9",
    b"\xff\xfe",
    b"null",
    b"{}",
    b"[]",
    b"Mensuel de ",
    b" Euros sur ",
    b"2024-13",
    b"06 12 34 56 78",
    b"@example.org",
];

/// One mutation of `input`: byte flips, insertions of bytes or tokens, deletions, duplications,
/// truncation, or a splice with another corpus entry.
fn mutate(rng: &mut ChaCha8Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    // one change half the time, two a quarter, …: most inputs stay close to a valid one
    let mut changes = 1;
    while changes < 8 && rng.random_bool(0.5) {
        changes += 1;
    }
    for _ in 0..changes {
        let len = v.len();
        let at = if len == 0 {
            0
        } else {
            rng.random_range(0..=len)
        };
        match rng.random_range(0..10) {
            // a field (between two separators) replaced by a token: keeps the structure, so
            // the input gets past the parser and reaches the code behind it
            7 | 8 if len > 0 => {
                let sep = |b: &u8| b",;\n\":=".contains(b);
                let from = v[..at.min(len)].iter().rposition(sep).map_or(0, |i| i + 1);
                let to = v[from..].iter().position(sep).map_or(len, |i| from + i);
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                v.splice(from..to, t.iter().copied());
            }
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                v[i] ^= 1 << rng.random_range(0..8);
            }
            1 => v.insert(at, rng.random()),
            2 => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            3 if len > 0 => {
                let end = (at + rng.random_range(1..=16)).min(len);
                v.drain(at.min(end)..end);
            }
            4 if len > 0 => {
                let end = (at + rng.random_range(1..=64)).min(len);
                let chunk: Vec<u8> = v[at.min(end)..end].to_vec();
                v.splice(at..at, chunk);
            }
            5 => v.truncate(at),
            // a digit changed into another: values stay numbers
            6 if len > 0 => {
                let digits: Vec<usize> = (0..len).filter(|&i| v[i].is_ascii_digit()).collect();
                if !digits.is_empty() {
                    let i = digits[rng.random_range(0..digits.len())];
                    v[i] = b'0' + rng.random_range(0..10u8);
                }
            }
            _ if !other.is_empty() => {
                let from = rng.random_range(0..other.len());
                let end = (from + rng.random_range(1..=128)).min(other.len());
                v.splice(at..at, other[from..end].iter().copied());
            }
            _ => {}
        }
    }
    v
}

fn show(input: &[u8]) -> String {
    let s = String::from_utf8_lossy(&input[..input.len().min(300)]);
    format!("{s:?}{}", if input.len() > 300 { "…" } else { "" })
}

thread_local! {
    /// True while a fuzz target runs on this thread.
    static IN_TARGET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

struct Outcome {
    failures: Vec<String>,
    seeds_refused: Vec<String>,
    mutations_accepted: usize,
}

/// Runs `target` on its corpus and `mutations` mutations of it.
fn run(name: &str, target: observatoire::fuzz::Target, mutations: usize) -> Outcome {
    let corpus = corpus(name);
    assert!(!corpus.is_empty(), "no seed for {name}");
    if let Some(dir) = std::env::var_os("OBSERVATOIRE_FUZZ_CORPUS") {
        let dir = Path::new(&dir).join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for (n, bytes) in &corpus {
            std::fs::write(dir.join(n), bytes).unwrap();
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(20261202);
    let mut failures = Vec::new();
    let mut check = |label: String, input: &[u8]| match catch_unwind(AssertUnwindSafe(|| {
        IN_TARGET.with(|t| t.set(true));
        let accepted = target(input);
        IN_TARGET.with(|t| t.set(false));
        accepted
    })) {
        Ok(accepted) => accepted,
        Err(e) => {
            IN_TARGET.with(|t| t.set(false));
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            // the whole input, to reproduce with the fuzz target or by hand
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(format!("{name}-{}", label.replace(' ', "-")));
            std::fs::write(&file, input).unwrap();
            failures.push(format!(
                "{name} {label}: {msg}\n  input {} (whole: {})",
                show(input),
                file.display()
            ));
            false
        }
    };
    let mut seeds_refused = Vec::new();
    for (n, bytes) in &corpus {
        if !check(format!("seed {n}"), bytes) {
            seeds_refused.push(n.clone());
        }
    }
    // inputs that once broke an invariant (fuzz/regressions/<target>/): they may be refused,
    // never fail again
    let regressions = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(name);
    if let Ok(entries) = std::fs::read_dir(&regressions) {
        for e in entries {
            let path = e.unwrap().path();
            check(
                format!("regression {}", path.file_name().unwrap().to_string_lossy()),
                &std::fs::read(&path).unwrap(),
            );
        }
    }
    let mut mutations_accepted = 0;
    for i in 0..mutations {
        let (_, a) = &corpus[rng.random_range(0..corpus.len())];
        let (_, b) = &corpus[rng.random_range(0..corpus.len())];
        let input = mutate(&mut rng, a, b);
        mutations_accepted += check(format!("mutation {i}"), &input) as usize;
    }
    Outcome {
        failures,
        seeds_refused,
        mutations_accepted,
    }
}

fn budget(name: &str) -> usize {
    match name {
        // each run of these opens files and DuckDB or fits models: a few ms to tens of ms
        "import_file" => 300,
        "forecast_csv" => 2000,
        _ => 5000,
    }
}

#[test]
fn fuzz_targets_survive_their_corpus_and_its_mutations() {
    // the targets' panics are the failures, reported below: keep their messages out of the
    // output, and only theirs (the test's own panics, and other tests', report as usual)
    let previous: std::sync::Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
        std::panic::take_hook().into();
    let forward = previous.clone();
    std::panic::set_hook(Box::new(move |info| {
        if !IN_TARGET.with(|t| t.get()) {
            forward(info)
        }
    }));
    let mut failures = Vec::new();
    for (name, target) in observatoire::fuzz::TARGETS {
        let started = std::time::Instant::now();
        let o = run(name, *target, budget(name));
        eprintln!(
            "{name}: {} seeds and {} mutations in {:.1} s; {} mutations accepted by the parser; {} failures",
            corpus(name).len(),
            budget(name),
            started.elapsed().as_secs_f64(),
            o.mutations_accepted,
            o.failures.len()
        );
        // the seeds are valid inputs, and enough mutations must get past the parser, or the
        // invariants behind it are never exercised
        if !o.seeds_refused.is_empty() {
            failures.push(format!("{name}: seeds refused: {:?}", o.seeds_refused));
        }
        if o.mutations_accepted * 20 < budget(name) {
            failures.push(format!(
                "{name}: only {} of {} mutations accepted (under 5 %): the fuzzing is shallow",
                o.mutations_accepted,
                budget(name)
            ));
        }
        failures.extend(o.failures);
    }
    std::panic::set_hook(Box::new(move |info| previous(info)));
    assert!(
        failures.is_empty(),
        "{} failing inputs:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
