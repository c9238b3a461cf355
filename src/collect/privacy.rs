//! Privacy at the collector boundary: personal data (e-mail addresses, French phone numbers) is
//! removed from every free-text field before anything is stored. The same patterns serve Rust code
//! (`scrub`) and SQL loaders (`sql_scrub`), which run DuckDB's RE2 engine.

/// E-mail addresses.
pub const EMAIL_PATTERN: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}";
/// French phone numbers: a national prefix (`0`, `+33`, `0033`, `+33 (0)`) then nine digits,
/// grouped by two (`06 12 34 56 78`) or 3-3-2 (`06 123 456 78`), each group separated by at most
/// one space, dot, dash or slash (`06.12.34.56.78`, `06/12/34/56/78`). RE2-compatible (the SQL
/// loaders run it in DuckDB).
pub const PHONE_PATTERN: &str = r"(?:(?:\+|\b00)33[ .\-/]?(?:\(0\)[ .\-/]?)?|\b0)[1-9](?:(?:[ .\-/]?[0-9]{2}){4}|[ .\-/]?[0-9]{3}[ .\-/]?[0-9]{3}[ .\-/]?[0-9]{2})\b";

/// Runs of white space, the no-break and thin spaces of French typography included. They are
/// made one plain space *before* the patterns run: "06  12 34 56 78" (two spaces) or
/// "06\u{a0}12\u{a0}34…" escaped the phone pattern, then became a phone number once the text
/// was tidied (found by fuzzing).
pub const SPACE_PATTERN: &str = r"[\s\x{00A0}\x{2007}\x{2009}\x{202F}]+";

/// SQL expression: `col` with e-mails and phone numbers removed and white space tidied
/// (NULL stays NULL; a text left empty becomes NULL).
pub fn sql_scrub(col: &str) -> String {
    format!(
        "nullif(trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace({col}, '{SPACE_PATTERN}', ' ', 'g'), \
         '{EMAIL_PATTERN}', '', 'g'), '{PHONE_PATTERN}', '', 'g'), '\\s+', ' ', 'g')), '')"
    )
}

/// SQL predicate: true when `col` still holds something that looks like personal contact data.
pub fn sql_has_contact(col: &str) -> String {
    let spaced = format!("regexp_replace({col}, '{SPACE_PATTERN}', ' ', 'g')");
    format!(
        "(regexp_matches({spaced}, '{EMAIL_PATTERN}') OR regexp_matches({spaced}, '{PHONE_PATTERN}'))"
    )
}

static EMAIL: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(EMAIL_PATTERN).unwrap());
static PHONE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(PHONE_PATTERN).unwrap());
static SPACE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(SPACE_PATTERN).unwrap());

/// True when `text` holds something that looks like personal contact data (the Rust twin of
/// [`sql_has_contact`]).
pub fn has_contact(text: &str) -> bool {
    let spaced = SPACE.replace_all(text, " ");
    EMAIL.is_match(&spaced) || PHONE.is_match(&spaced)
}

/// `text` with e-mails and phone numbers removed and white space tidied; `None` when nothing is
/// left. Same behaviour as [`sql_scrub`].
pub fn scrub(text: &str) -> Option<String> {
    // Cheap prechecks: an e-mail needs '@', a phone number at least 9 digits.
    let maybe_email = text.contains('@');
    let maybe_phone = text.bytes().filter(u8::is_ascii_digit).count() >= 9;
    let mut cleaned = std::borrow::Cow::Borrowed(text);
    // Until nothing changes: removing one match can join its neighbours into another
    // ("06 12 34 56 0612345678 78" leaves "06 12 34 56 78"; found by fuzzing). Each round
    // that changes something shortens the text, so this ends.
    loop {
        let before = cleaned.len();
        if maybe_phone {
            // a copy only where some white space was changed
            if let std::borrow::Cow::Owned(spaced) = SPACE.replace_all(&cleaned, " ") {
                cleaned = std::borrow::Cow::Owned(spaced);
            }
        }
        if maybe_email && EMAIL.is_match(&cleaned) {
            cleaned = std::borrow::Cow::Owned(EMAIL.replace_all(&cleaned, "").into_owned());
        }
        if maybe_phone && PHONE.is_match(&cleaned) {
            cleaned = std::borrow::Cow::Owned(PHONE.replace_all(&cleaned, "").into_owned());
        }
        if cleaned.len() == before || !(maybe_email || maybe_phone) {
            break;
        }
    }
    let tidy = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    (!tidy.is_empty()).then_some(tidy)
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn scrub_removes_contacts_and_keeps_the_rest() {
        assert_eq!(
            scrub("BB Snack 05.46.39.89.00").as_deref(),
            Some("BB Snack")
        );
        assert_eq!(scrub("BB Snack 0546398900").as_deref(), Some("BB Snack"));
        assert_eq!(
            scrub("Tél : +33 6 12 34 56 78, mail a.b@c.fr").as_deref(),
            Some("Tél : , mail")
        );
        assert_eq!(
            scrub("Mensuel de 1800.0 Euros sur 12 mois").as_deref(),
            Some("Mensuel de 1800.0 Euros sur 12 mois")
        );
        assert_eq!(scrub("  Chef  de rang "), Some("Chef de rang".into()));
        assert_eq!(scrub("06 12 34 56 78"), None);
    }

    #[test]
    fn every_french_phone_form_is_removed() {
        for form in [
            "06 12 34 56 78",
            "0612345678",
            "06 123 456 78",
            "06/12/34/56/78",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "+33 6 12 34 56 78",
            "+33612345678",
            "+33 (0)6 12 34 56 78",
            "+33(0)612345678",
            "0033 6 12 34 56 78",
            "0033612345678",
            // found by fuzzing: spaces the pattern did not take, that tidying then joined
            "06  12 34 56 78",
            "06\u{a0}12\u{a0}34\u{a0}56\u{a0}78",
            "06\u{202f}12\u{202f}34\u{202f}56\u{202f}78",
            "06 \t12 34 56 78",
            // a phone inside a phone: removing the inner one joins the outer one's halves
            "06 12 34 56 0612345678 78",
            "06 x@exemple.fr12 34 56 78",
        ] {
            let text = format!("Appelez le {form} avant 18 h");
            assert_eq!(
                scrub(&text).as_deref(),
                Some("Appelez le avant 18 h"),
                "form {form:?} not removed"
            );
        }
    }

    #[test]
    fn numbers_that_are_not_phones_are_kept() {
        for text in [
            "Mensuel de 1800.0 Euros à 2100.0 Euros sur 12 mois",
            "Offre 194ZXKQ publiée le 2025-11-13",
            "Annuel de 35000 Euros",
            "SIRET 123 456 789 00012",
        ] {
            assert_eq!(scrub(text).as_deref(), Some(text));
        }
    }
}
