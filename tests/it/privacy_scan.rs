//! Every committed fixture and data file is scanned for personal data, so that a real
//! recruiter's name, e-mail or phone number cannot come back into the repository.
use std::io::Read;
use std::path::{Path, PathBuf};

use observatoire::collect::privacy::{EMAIL_PATTERN, PHONE_PATTERN, SPACE_PATTERN};

/// The folders and files that hold data or fixtures.
const SCANNED: &[&str] = &[
    "tests/fixtures",
    "data",
    "jobs",
    "config.toml",
    "dashboards",
    "fuzz/seeds",
    "fuzz/regressions",
];

fn files(root: &Path, out: &mut Vec<PathBuf>) {
    if root.is_file() {
        out.push(root.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        // the runtime database is git-ignored, never committed
        if p.extension().is_some_and(|x| x == "duckdb" || x == "wal") {
            continue;
        }
        files(&p, out);
    }
}

fn text_of(path: &Path) -> Option<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .read_to_end(&mut bytes)
        .ok()?;
    if path.extension().is_some_and(|x| x == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .ok()?;
        bytes = out;
    }
    String::from_utf8(bytes).ok()
}

/// Numbers that reach nobody: the ranges ARCEP reserves for fiction (01 99 00, 02 61 91,
/// 03 53 01, 04 65 71, 05 36 49, 06 39 98) and placeholders such as `01 00 00 00 00`.
fn is_fictional(phone: &str) -> bool {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.strip_prefix("0033").or(digits.strip_prefix("33")) {
        Some(rest) => format!("0{}", rest.trim_start_matches('0')),
        None => digits,
    };
    ["0199 00", "026191", "035301", "046571", "053649", "063998"]
        .iter()
        .any(|p| national.starts_with(&p.replace(' ', "")))
        || national[2..].chars().all(|c| c == '0')
}

/// Personal data found in `text`: e-mails (but for the reserved `.invalid`/`example.*` domains),
/// phone numbers, and `contact` blocks naming a person.
fn findings(text: &str) -> Vec<String> {
    let email = regex::Regex::new(EMAIL_PATTERN).unwrap();
    let phone = regex::Regex::new(PHONE_PATTERN).unwrap();
    let person = regex::Regex::new(r"\b(M\.|Mme|Mlle|Monsieur|Madame)\s+\p{Lu}").unwrap();
    // runs of spaces and no-break spaces made one space first, as the scrub does
    let spaced = regex::Regex::new(SPACE_PATTERN)
        .unwrap()
        .replace_all(text, " ");
    let text: &str = &spaced;
    let mut found: Vec<String> = email
        .find_iter(text)
        .map(|m| m.as_str())
        .filter(|m| {
            let domain = m.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
            !(domain.ends_with(".invalid")
                || domain.starts_with("example.")
                || domain.starts_with("exemple."))
        })
        .map(|m| format!("e-mail {m}"))
        .collect();
    found.extend(
        phone
            .find_iter(text)
            .map(|m| m.as_str())
            .filter(|m| !is_fictional(m))
            .map(|m| format!("téléphone {m}")),
    );
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        let mut stack = vec![&json];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::Object(c)) = map.get("contact") {
                        for (k, val) in c {
                            let s = val.as_str().unwrap_or("");
                            let synthetic = s.contains("Fictif") || s.contains("de l'Exemple");
                            if ["nom", "coordonnees1", "coordonnees2", "coordonnees3"]
                                .contains(&k.as_str())
                                && !synthetic
                                && (k != "nom" || person.is_match(s))
                                && !s.is_empty()
                            {
                                found.push(format!("contact.{k} {s:?}"));
                            }
                        }
                    }
                    stack.extend(map.values());
                }
                serde_json::Value::Array(a) => stack.extend(a.iter()),
                _ => {}
            }
        }
    }
    found
}

#[test]
fn no_fixture_or_data_file_holds_personal_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for p in SCANNED {
        files(&root.join(p), &mut all);
    }
    assert!(all.len() > 30, "scanned only {} files", all.len());
    let mut report = Vec::new();
    let mut scanned = 0;
    for f in &all {
        let Some(text) = text_of(f) else { continue };
        scanned += 1;
        for what in findings(&text).into_iter().take(5) {
            report.push(format!(
                "{}: {what}",
                f.strip_prefix(root).unwrap().display()
            ));
        }
    }
    assert!(scanned > 30, "read only {scanned} files");
    assert!(
        report.is_empty(),
        "personal data in the repository:\n{}",
        report.join("\n")
    );
}

#[test]
fn the_scan_catches_what_it_must() {
    for bad in [
        r#"{"contact": {"nom": "BOULANGERIE DUPONT - M. Jean Dupont", "coordonnees1": "12 rue des Lilas"}}"#,
        "écrire à jean.dupont@orange.fr",
        "appeler le 06.12.34.56.78",
        "standard 02 35 12 34 56",
        "ou le +33 (0)6 12 34 56 78",
    ] {
        assert!(!findings(bad).is_empty(), "missed: {bad}");
    }
    for fine in [
        r#"{"contact": {"nom": "ELIOR SUPPORT - Mme Contact Fictif341", "coordonnees1": "142 rue de l'Exemple", "courriel": "contact341@exemple.invalid"}}"#,
        r#"{"contact": {"nom": "AGENCE FRANCE TRAVAIL ROUEN"}}"#,
        "Mensuel de 1800.0 Euros sur 12 mois",
        "Transports Lemoine – tél. 02 61 91 12 34",
        r#"{"contact": {"telephone": "01 00 00 00 00"}}"#,
    ] {
        assert_eq!(findings(fine), Vec::<String>::new(), "false alarm: {fine}");
    }
}
