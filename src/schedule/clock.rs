//! Time: when a cron schedule next fires in Europe/Paris local time, and an injectable clock.
//!
//! The `cron` crate iterates local wall-clock times; on its own it skips a time that falls in the
//! spring-forward gap and fires twice in the repeated autumn hour. Observatory jobs follow the
//! classic cron rule instead: a time in the gap runs right after the change (02:30 → 03:00 CEST),
//! a time in the repeated hour runs once (at its first occurrence).
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use chrono_tz::Tz;

pub const TZ: Tz = Paris;

/// Maps a local wall-clock time to an instant: earliest of an ambiguous pair, first valid minute
/// after a gap.
pub fn local_to_utc(naive: NaiveDateTime) -> DateTime<Utc> {
    let mut t = naive;
    for _ in 0..(24 * 60) {
        if let Some(d) = TZ.from_local_datetime(&t).earliest() {
            return d.with_timezone(&Utc);
        }
        // In a gap: move to the next whole minute until the local time exists.
        t = t + Duration::minutes(1) - Duration::seconds(t.and_utc().timestamp() % 60);
    }
    naive.and_utc()
}

/// The first firing instant of `schedule` strictly after `after`.
pub fn next_run(schedule: &cron::Schedule, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local_after = after.with_timezone(&TZ).naive_local();
    // Iterate wall-clock candidates (as if local time were UTC, so none is skipped or doubled),
    // starting a little before `after` to catch gap-shifted times.
    let start = (local_after - Duration::hours(3)).and_utc();
    schedule
        .after(&start)
        .take(10_000)
        .map(|c| local_to_utc(c.naive_utc()))
        .find(|t| *t > after)
}

/// Typical period of a schedule (between its next two firings), for catch-up decisions.
pub fn period(schedule: &cron::Schedule, now: DateTime<Utc>) -> Option<Duration> {
    let a = next_run(schedule, now)?;
    let b = next_run(schedule, a)?;
    Some(b - a)
}

/// Injectable clock: the real one, or a manual one in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    /// Resolves once `now() >= t`.
    fn sleep_until(
        &self,
        t: DateTime<Utc>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn sleep_until(
        &self,
        t: DateTime<Utc>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            // Sleep in slices so a changed wall clock (suspend, NTP) is noticed.
            loop {
                let left = t - Utc::now();
                if left <= Duration::zero() {
                    return;
                }
                let slice = left
                    .to_std()
                    .unwrap_or_default()
                    .min(std::time::Duration::from_secs(60));
                tokio::time::sleep(slice).await;
            }
        })
    }
}

/// A clock moved by hand (tests): `advance` wakes the sleepers whose time has come.
pub struct ManualClock {
    now: tokio::sync::watch::Sender<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Arc<ManualClock> {
        Arc::new(ManualClock {
            now: tokio::sync::watch::Sender::new(start),
        })
    }
    pub fn set(&self, t: DateTime<Utc>) {
        self.now.send_replace(t);
    }
    pub fn advance(&self, d: Duration) {
        let t = *self.now.borrow() + d;
        self.set(t);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }
    fn sleep_until(
        &self,
        t: DateTime<Utc>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        let mut rx = self.now.subscribe();
        Box::pin(async move {
            let _ = rx.wait_for(|now| *now >= t).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn runs(expr: &str, from: &str, n: usize) -> Vec<String> {
        let s = cron::Schedule::from_str(expr).unwrap();
        let mut t = utc(from);
        (0..n)
            .map(|_| {
                t = next_run(&s, t).unwrap();
                t.with_timezone(&TZ).format("%Y-%m-%d %H:%M %Z").to_string()
            })
            .collect()
    }

    #[test]
    fn daily_local_time_holds_across_both_dst_changes() {
        // 05:30 Paris every day: 04:30 UTC in winter, 03:30 UTC in summer.
        assert_eq!(
            runs("0 30 5 * * *", "2026-03-27T12:00:00Z", 4),
            [
                "2026-03-28 05:30 CET",
                "2026-03-29 05:30 CEST",
                "2026-03-30 05:30 CEST",
                "2026-03-31 05:30 CEST"
            ]
        );
        assert_eq!(
            runs("0 30 5 * * *", "2026-10-23T12:00:00Z", 4),
            [
                "2026-10-24 05:30 CEST",
                "2026-10-25 05:30 CET",
                "2026-10-26 05:30 CET",
                "2026-10-27 05:30 CET"
            ]
        );
        let s = cron::Schedule::from_str("0 30 5 * * *").unwrap();
        assert_eq!(
            next_run(&s, utc("2026-03-28T12:00:00Z")).unwrap(),
            utc("2026-03-29T03:30:00Z")
        );
        assert_eq!(
            next_run(&s, utc("2026-10-24T12:00:00Z")).unwrap(),
            utc("2026-10-25T04:30:00Z")
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_runs_right_after_the_change() {
        // 02:30 does not exist on 2026-03-29 in Paris: the job runs at 03:00 CEST, once.
        assert_eq!(
            runs("0 30 2 * * *", "2026-03-28T12:00:00Z", 3),
            [
                "2026-03-29 03:00 CEST",
                "2026-03-30 02:30 CEST",
                "2026-03-31 02:30 CEST"
            ]
        );
    }

    #[test]
    fn a_time_in_the_repeated_autumn_hour_runs_once() {
        // 02:30 happens twice on 2026-10-25 (CEST then CET): one run, at the first.
        assert_eq!(
            runs("0 30 2 * * *", "2026-10-24T12:00:00Z", 3),
            [
                "2026-10-25 02:30 CEST",
                "2026-10-26 02:30 CET",
                "2026-10-27 02:30 CET"
            ]
        );
    }

    #[test]
    fn period_of_a_daily_job_is_a_day() {
        let s = cron::Schedule::from_str("0 0 6 * * *").unwrap();
        assert_eq!(
            period(&s, utc("2026-06-01T00:00:00Z")),
            Some(Duration::days(1))
        );
    }
}
