//! Privacy at the collector boundary: personal data (e-mail addresses, French phone numbers) is
//! removed from every free-text field before anything is stored. The same patterns serve Rust code
//! (`scrub`) and SQL loaders (`sql_scrub`), which run DuckDB's RE2 engine.

/// E-mail addresses.
pub const EMAIL_PATTERN: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}";
/// French phone numbers: 0X XX XX XX XX, +33 X…, 0033 X…, with spaces, dots or dashes.
pub const PHONE_PATTERN: &str = r"(\+33[ .-]?(\(0\))?|0033[ .-]?|\b0)[1-9]([ .-]?[0-9]{2}){4}\b";

/// SQL expression: `col` with e-mails and phone numbers removed and white space tidied
/// (NULL stays NULL; a text left empty becomes NULL).
pub fn sql_scrub(col: &str) -> String {
    format!(
        "nullif(trim(regexp_replace(regexp_replace(regexp_replace({col}, '{EMAIL_PATTERN}', '', 'g'), \
         '{PHONE_PATTERN}', '', 'g'), '\\s+', ' ', 'g')), '')"
    )
}

/// SQL predicate: true when `col` still holds something that looks like personal contact data.
pub fn sql_has_contact(col: &str) -> String {
    format!(
        "(regexp_matches({col}, '{EMAIL_PATTERN}') OR regexp_matches({col}, '{PHONE_PATTERN}'))"
    )
}
