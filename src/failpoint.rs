//! Failure injection for the tests, on the `fail` crate (feature `failpoints`, which
//! `scripts/test.sh` enables; without it every point compiles to nothing). A point is named and
//! given the scope of the work it interrupts (a département, a table); its configuration — by
//! `fail::cfg` in-process, or the `FAILPOINTS` environment variable for the binary — is
//! `return(ACTION@SCOPE)`, where ACTION is:
//! - `error`: the enclosing function fails with an "injected failure" error;
//! - `hang:PATH`: PATH is written (the test waits for it), then the thread sleeps for good (the
//!   test kills the process there, in the middle of a transaction).
//!
//! `@SCOPE` restricts the point to that scope, so concurrent tests do not trip each other.

/// Fails (returns an error from) or hangs the enclosing function, which returns
/// `anyhow::Result`, when the point `name` is configured for `scope`.
#[macro_export]
macro_rules! failpoint {
    ($name:expr, $scope:expr) => {
        #[cfg(feature = "failpoints")]
        {
            if let Some(arg) = fail::eval($name, |arg| arg) {
                $crate::failpoint::act($name, $scope, arg.as_deref())?;
            }
        }
    };
}

/// What a triggered point does: nothing when it is configured for another scope.
#[cfg(feature = "failpoints")]
pub fn act(name: &str, scope: &str, arg: Option<&str>) -> anyhow::Result<()> {
    let arg = arg.unwrap_or("error");
    let (action, wanted) = arg.rsplit_once('@').unwrap_or((arg, ""));
    if !wanted.is_empty() && wanted != scope {
        return Ok(());
    }
    if let Some(path) = action.strip_prefix("hang:") {
        let _ = std::fs::write(path, name);
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
    anyhow::bail!("défaillance injectée ({name}, {scope})")
}
