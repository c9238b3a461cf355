//! Running a family's SQL one statement at a time, timing each: the rebuild benchmark prints
//! where the time goes (`take_statement_times`), and the debug log names a slow statement.
use std::cell::RefCell;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use duckdb::Connection;

thread_local! {
    static TIMES: RefCell<Vec<(String, Duration)>> = const { RefCell::new(Vec::new()) };
}

/// Runs every statement of `sql` in order (as `execute_batch` would), recording how long each
/// took. An error names the statement that failed.
pub fn run(conn: &Connection, sql: &str) -> Result<()> {
    for statement in split(sql) {
        let started = Instant::now();
        conn.execute_batch(statement)
            .with_context(|| format!("requête « {} »", head(statement)))?;
        let took = started.elapsed();
        TIMES.with(|t| t.borrow_mut().push((head(statement), took)));
    }
    Ok(())
}

/// Runs `f` (a step written in Rust), recording its time under `name` like a statement.
pub fn timed<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    let out = f()?;
    let took = started.elapsed();
    TIMES.with(|t| t.borrow_mut().push((name.to_string(), took)));
    Ok(out)
}

/// The statements run on this thread since the last call, with their time, in order.
pub fn take_statement_times() -> Vec<(String, Duration)> {
    TIMES.with(|t| std::mem::take(&mut *t.borrow_mut()))
}

/// `CREATE` statement of `table` (`source_id, bit`): one bit for each source of the offers of
/// `offers`, in source order, for [`sources_of_mask`].
pub fn source_bits(table: &str, offers: &str) -> String {
    format!(
        "CREATE OR REPLACE TEMP TABLE {table} AS
         SELECT source_id, (row_number() OVER (ORDER BY source_id) - 1)::INTEGER AS bit
         FROM (SELECT DISTINCT source_id FROM {offers})"
    )
}

/// The sources of a set of offers as a comma-separated list, from `src_mask`, the bit-or of
/// their sources' bits in `bits` (a table `source_id, bit`): a bit-or is a cheap aggregate
/// where a distinct string aggregate is not, and it sums over communes.
pub fn sources_of_mask(bits: &str) -> String {
    format!(
        "(SELECT string_agg(s.source_id, ',' ORDER BY s.source_id) FROM {bits} s
         WHERE (src_mask >> s.bit) & 1 = 1)"
    )
}

/// The first words of a statement (comments and white space folded), to name it.
fn head(statement: &str) -> String {
    let text: Vec<&str> = statement
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.starts_with("--"))
        .flat_map(|l| l.split_whitespace())
        .collect();
    let mut out = String::new();
    for word in text {
        if out.chars().count() + word.chars().count() > 90 {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Splits SQL at the semicolons outside quotes and comments; statements holding only comments
/// or white space are left out.
fn split(sql: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum State {
        Code,
        Quote(u8),
        LineComment,
        BlockComment,
    }
    let bytes = sql.as_bytes();
    let mut state = State::Code;
    let (mut start, mut i) = (0, 0);
    let mut statements: Vec<&str> = Vec::new();
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        match state {
            State::Code => match b {
                b'\'' | b'"' => state = State::Quote(b),
                b'-' if next == Some(b'-') => state = State::LineComment,
                b'/' if next == Some(b'*') => state = State::BlockComment,
                b';' => {
                    statements.push(&sql[start..i]);
                    start = i + 1;
                }
                _ => {}
            },
            // a doubled quote closes and reopens: the same as staying inside
            State::Quote(q) if b == q => state = State::Code,
            State::Quote(_) => {}
            State::LineComment if b == b'\n' => state = State::Code,
            State::LineComment => {}
            State::BlockComment if b == b'*' && next == Some(b'/') => {
                state = State::Code;
                i += 1;
            }
            State::BlockComment => {}
        }
        i += 1;
    }
    statements.push(&sql[start..]);
    statements.retain(|s| !head(s).is_empty());
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_comments() {
        let sql = "-- a comment; not a statement\nSELECT 'a;b', \"x;y\" FROM t; /* c; */ SELECT 2;\n-- end;\n";
        let parts = split(sql);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].contains("'a;b'") && parts[0].contains("\"x;y\""));
        assert!(parts[1].trim_start().starts_with("/* c; */ SELECT 2"));
        assert_eq!(head(parts[0]), "SELECT 'a;b', \"x;y\" FROM t");
    }

    #[test]
    fn runs_in_order_and_times_each_statement() {
        let conn = Connection::open_in_memory().unwrap();
        take_statement_times();
        run(
            &conn,
            "CREATE TABLE t (s VARCHAR); INSERT INTO t VALUES ('it''s; fine'); -- done;",
        )
        .unwrap();
        let s: String = conn.query_row("SELECT s FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(s, "it's; fine");
        let times = take_statement_times();
        assert_eq!(times.len(), 2);
        assert_eq!(times[0].0, "CREATE TABLE t (s VARCHAR)");
        let err = run(&conn, "SELECT 1; SELECT * FROM missing_table").unwrap_err();
        assert!(
            format!("{err:#}").contains("SELECT * FROM missing_table"),
            "{err:#}"
        );
    }
}
