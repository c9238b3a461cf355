//! Jobs: runner guarantees, scheduler timing (DST, catch-up, `after`), job files, admin, metrics.
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use observatoire::config::Config;
use observatoire::schedule::clock::ManualClock;
use observatoire::schedule::context::{Cancel, JobCtx, RunSummary};
use observatoire::schedule::jobs::{load_dir, JobDef};
use observatoire::schedule::runner::{BodyFn, BodyResult, Runner, StartError, Status, Trigger};
use observatoire::schedule::scheduler::Scheduler;

use crate::helpers::{count, test_db, TestApp, ADMIN_TOKEN};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Job definitions written to a temporary `jobs/` folder.
fn jobs(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<JobDef>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let (jobs, errors) = load_dir(dir.path());
    assert!(errors.is_empty(), "{errors:?}");
    (dir, jobs)
}

fn job(name: &str, schedule: &str, extra: &str) -> String {
    format!("name = \"{name}\"\nkind = \"indicators\"\nschedule = \"{schedule}\"\nretry_delay = \"0.05s\"\n{extra}\n")
}

fn runner_with(db: &crate::helpers::TestDb, body: BodyFn) -> Runner {
    Runner::with_body(db.db.clone(), Arc::new(Config::default()), body)
}

/// A body that records the order in which jobs finish; `slow` takes half a second.
fn recording_body(order: Arc<Mutex<Vec<String>>>, slow: Option<&'static str>) -> BodyFn {
    Arc::new(move |job, _| {
        let order = order.clone();
        Box::pin(async move {
            if Some(job.name.as_str()) == slow {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            order.lock().unwrap().push(job.name.clone());
            Ok(BodyResult::Done(RunSummary::default()))
        })
    })
}

fn counting_body(counter: Arc<AtomicU32>) -> BodyFn {
    Arc::new(move |_job, _ctx| {
        let c = counter.clone();
        Box::pin(async move {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(BodyResult::Done(RunSummary::default()))
        })
    })
}

#[tokio::test]
async fn a_job_never_overlaps_itself() {
    let db = test_db();
    // The body signals that it runs, then holds until released: the second start happens
    // while the first run is certainly in progress.
    let (started_tx, started_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let release = Arc::new(tokio::sync::Notify::new());
    let (tx, rel) = (started_tx.clone(), release.clone());
    let body: BodyFn = Arc::new(move |_, _| {
        let (tx, rel) = (tx.clone(), rel.clone());
        Box::pin(async move {
            let released = rel.notified();
            tx.send(()).unwrap();
            released.await;
            Ok(BodyResult::Done(RunSummary::default()))
        })
    });
    let runner = runner_with(&db, body);
    let (_d, js) = jobs(&[("a.toml", &job("lent", "0 0 6 * * *", ""))]);
    let r2 = runner.clone();
    let j2 = js[0].clone();
    let first = tokio::spawn(async move { r2.run(&j2, Trigger::Manual, None).await });
    let mut started_rx = started_rx;
    started_rx.recv().await.unwrap();
    assert!(matches!(
        runner.run(&js[0], Trigger::Manual, None).await,
        Err(StartError::AlreadyRunning(_))
    ));
    release.notify_one();
    assert_eq!(first.await.unwrap().unwrap().status, Status::Success);
    assert_eq!(
        count(&db.db, "SELECT count(*) FROM job_runs WHERE job = 'lent'"),
        1
    );
    drop(started_tx);
}

fn db_note(app: &TestApp, job: &str) -> String {
    app.db
        .db
        .connect()
        .unwrap()
        .query_row(
            "SELECT error FROM job_runs WHERE job = ? ORDER BY run_id DESC LIMIT 1",
            [job],
            |r| r.get(0),
        )
        .unwrap()
}

/// Signals once the transaction is open.
type Entered = Arc<Mutex<Option<tokio::sync::oneshot::Sender<()>>>>;
type WorkFuture = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>;

/// The work of the two tests below: deletes the BMO rows in a transaction, says so, then waits
/// for the job's cancellation doing Rust work between statements (no DuckDB statement is running
/// for the interrupt to stop), and commits unless `Cancel::check` refuses.
fn delete_then_commit_after_cancel(
    c: &mut duckdb::Connection,
    cancel: &Cancel,
    entered: &Entered,
) -> anyhow::Result<()> {
    let tx = c.transaction()?;
    tx.execute("DELETE FROM raw_bmo", [])?;
    entered.lock().unwrap().take().unwrap().send(()).unwrap();
    while !cancel.is_cancelled() {
        std::thread::yield_now();
    }
    cancel.check()?;
    tx.commit()?;
    Ok(())
}

/// Runs a ten-minute, thrice-retried job whose body `work` runs [`delete_then_commit_after_cancel`],
/// shuts the runner down once the transaction is open, and checks the run was cancelled, not
/// retried, and wrote nothing.
async fn shut_down_mid_transaction(name: &str, work: fn(JobCtx, Entered) -> WorkFuture) {
    let db = test_db();
    let (in_tx, in_rx) = tokio::sync::oneshot::channel::<()>();
    let in_tx = Arc::new(Mutex::new(Some(in_tx)));
    let body: BodyFn = Arc::new(move |_, ctx| {
        let in_tx = in_tx.clone();
        Box::pin(async move {
            work(ctx, in_tx).await?;
            Ok(BodyResult::Done(RunSummary::default()))
        })
    });
    let runner = runner_with(&db, body);
    let (_d, js) = jobs(&[(
        "a.toml",
        &job(name, "0 0 6 * * *", "timeout = \"10m\"\nretries = 3"),
    )]);
    let r = runner.clone();
    let j = js[0].clone();
    let run = tokio::spawn(async move { r.run(&j, Trigger::Manual, None).await });
    in_rx.await.unwrap();
    runner.shutdown.cancel();
    let out = run.await.unwrap().unwrap();
    assert_eq!(
        (out.status, out.attempts),
        (Status::Cancelled, 1),
        "{:?}",
        out.error
    );
    assert_eq!(count(&db.db, "SELECT count(*) FROM raw_bmo"), 53_443);
    assert_eq!(
        count(
            &db.db,
            &format!("SELECT count(*) FROM job_runs WHERE job = '{name}' AND status = 'cancelled'")
        ),
        1
    );
}

/// A cancellation that lands between two statements (nothing to interrupt) still refuses the
/// commit; a shutdown cancels a running job, recorded `cancelled`, not retried.
#[tokio::test]
async fn shutdown_cancels_a_running_job_and_its_pending_commit() {
    shut_down_mid_transaction("longue", |ctx, entered| {
        Box::pin(async move {
            let cancel = ctx.cancel.clone();
            ctx.db
                .call(move |c| delete_then_commit_after_cancel(c, &cancel, &entered))
                .await
        })
    })
    .await;
}

/// `Cancel::check` alone refuses the commit of work done on a connection the runner cannot
/// interrupt (here one opened by hand, outside `JobDb`).
#[tokio::test]
async fn the_cancellation_check_refuses_a_commit_on_any_connection() {
    shut_down_mid_transaction("brute", |ctx, entered| {
        Box::pin(async move {
            let (cancel, raw) = (ctx.cancel.clone(), ctx.db.db().clone());
            tokio::task::spawn_blocking(move || {
                delete_then_commit_after_cancel(&mut raw.connect()?, &cancel, &entered)
            })
            .await?
        })
    })
    .await;
}

/// Sets its flag when dropped: the end of a piece of blocking work, however it ends.
struct Ended(Arc<std::sync::atomic::AtomicBool>);
impl Drop for Ended {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_run_past_its_timeout_is_interrupted_rolled_back_and_waited_for() {
    let db = test_db();
    let ended = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let e = ended.clone();
    let body: BodyFn = Arc::new(move |_, ctx| {
        let e = e.clone();
        Box::pin(async move {
            let cancel = ctx.cancel.clone();
            ctx.db
                .call(move |c| {
                    let _ended = Ended(e);
                    let tx = c.transaction()?;
                    tx.execute("DELETE FROM raw_bmo", [])?;
                    // A statement that would run for many minutes: only an interrupt stops it.
                    let r: duckdb::Result<i64> = tx.query_row(
                        "SELECT count(*) FROM range(1000000000000) a WHERE hash(a.range) % 7 = 3",
                        [],
                        |r| r.get(0),
                    );
                    // Work that goes on after the interrupt (a long rollback, a cleanup): the
                    // runner must wait for it too.
                    std::thread::sleep(Duration::from_millis(300));
                    r?;
                    cancel.check()?;
                    tx.commit()?;
                    Ok(())
                })
                .await?;
            Ok(BodyResult::Done(RunSummary::default()))
        })
    });
    let runner = runner_with(&db, body);
    let (_d, js) = jobs(&[(
        "a.toml",
        &job("lente", "0 0 6 * * *", "timeout = \"0.5s\"\nretries = 2"),
    )]);
    let started = std::time::Instant::now();
    let out = runner.run(&js[0], Trigger::Manual, None).await.unwrap();
    assert_eq!(out.status, Status::Cancelled, "{:?}", out.error);
    assert!(out.error.unwrap().contains("délai"));
    assert_eq!(out.attempts, 1, "a timed-out run is not retried");
    // The runner reported only once the blocking work had ended (interrupted, rolled back).
    assert!(
        ended.load(Ordering::SeqCst),
        "the database work was still running when the run was reported"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(
        count(&db.db, "SELECT count(*) FROM raw_bmo"),
        53_443,
        "the deletion must be rolled back"
    );
    assert_eq!(
        count(
            &db.db,
            "SELECT count(*) FROM job_runs WHERE job = 'lente' AND status = 'cancelled'"
        ),
        1
    );
}

/// Two writers of the derived tables never run at once: while one holds them, the other waits
/// (here, until its own timeout cancels it, without having started).
#[tokio::test]
async fn derived_table_rebuilds_are_serialised() {
    let db = test_db();
    let (entered_tx, entered_rx) = tokio::sync::oneshot::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let entered_tx = Arc::new(Mutex::new(Some(entered_tx)));
    let release_rx = Arc::new(Mutex::new(Some(release_rx)));
    let b_entered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let b_flag = b_entered.clone();
    let body: BodyFn = Arc::new(move |job, ctx| {
        let (entered_tx, release_rx, b_flag) =
            (entered_tx.clone(), release_rx.clone(), b_flag.clone());
        Box::pin(async move {
            if job.name == "premiere" {
                let entered = entered_tx.lock().unwrap().take().unwrap();
                let release = release_rx.lock().unwrap().take().unwrap();
                ctx.db
                    .call_derived(move |_c| {
                        entered.send(()).unwrap();
                        release
                            .recv_timeout(Duration::from_secs(60))
                            .map_err(|_| anyhow::anyhow!("never released"))?;
                        Ok(())
                    })
                    .await?;
            } else {
                ctx.db
                    .call_derived(move |_c| {
                        b_flag.store(true, Ordering::SeqCst);
                        Ok(())
                    })
                    .await?;
            }
            Ok(BodyResult::Done(RunSummary::default()))
        })
    });
    let runner = runner_with(&db, body);
    let (_d, js) = jobs(&[
        (
            "a.toml",
            &job("premiere", "0 0 6 * * *", "timeout = \"2m\""),
        ),
        (
            "b.toml",
            &job("seconde", "0 0 6 * * *", "timeout = \"1s\"\nretries = 0"),
        ),
    ]);
    let (r1, j1) = (runner.clone(), js[0].clone());
    let first = tokio::spawn(async move { r1.run(&j1, Trigger::Manual, None).await });
    entered_rx.await.unwrap(); // the first writer holds the derived tables
    let second = runner.run(&js[1], Trigger::Manual, None).await.unwrap();
    assert_eq!(second.status, Status::Cancelled, "{:?}", second.error);
    assert!(
        !b_entered.load(Ordering::SeqCst),
        "a second rebuild ran while the first held the derived tables"
    );
    release_tx.send(()).unwrap();
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status, Status::Success, "{:?}", first.error);
}

#[tokio::test]
async fn failures_are_retried_with_backoff_then_succeed() {
    let db = test_db();
    let attempts = Arc::new(AtomicU32::new(0));
    let seen = Arc::new(Mutex::new(
        Vec::<(std::time::Instant, Option<String>)>::new(),
    ));
    let (a, seen2) = (attempts.clone(), seen.clone());
    let body: BodyFn = Arc::new(move |job, ctx| {
        let (a, seen) = (a.clone(), seen2.clone());
        Box::pin(async move {
            // what the run row says while it is being retried
            let name = job.name.clone();
            let error: Option<String> = ctx
                .db
                .call(move |c| {
                    Ok(c.query_row(
                        "SELECT error FROM job_runs WHERE job = ? AND status = 'running'",
                        [name],
                        |r| r.get(0),
                    )?)
                })
                .await?;
            seen.lock()
                .unwrap()
                .push((std::time::Instant::now(), error));
            if a.fetch_add(1, Ordering::SeqCst) < 2 {
                anyhow::bail!("source indisponible");
            }
            Ok(BodyResult::Done(RunSummary {
                rows_added: 7,
                ..Default::default()
            }))
        })
    });
    let runner = runner_with(&db, body);
    // retry_delay 0.05 s, doubling: 0.05 s then 0.1 s
    let (_d, js) = jobs(&[("a.toml", &job("fragile", "0 0 6 * * *", "retries = 3"))]);
    let out = runner.run(&js[0], Trigger::Manual, None).await.unwrap();
    assert_eq!((out.status, out.attempts), (Status::Success, 3));
    assert_eq!(
        count(
            &db.db,
            "SELECT rows_added FROM job_runs WHERE job = 'fragile'"
        ),
        7
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(
        seen[1].0 - seen[0].0 >= Duration::from_millis(50),
        "first back-off"
    );
    assert!(
        seen[2].0 - seen[1].0 >= Duration::from_millis(100),
        "back-off doubles"
    );
    // each failed attempt is written to the run row as it happens
    assert_eq!(seen[0].1, None);
    assert_eq!(seen[1].1.as_deref(), Some("essai 1 : source indisponible"));
    assert_eq!(seen[2].1.as_deref(), Some("essai 2 : source indisponible"));
    // without enough retries, the run fails and says why
    attempts.store(0, Ordering::SeqCst);
    let (_d, js) = jobs(&[("a.toml", &job("fragile2", "0 0 6 * * *", "retries = 1"))]);
    let out = runner.run(&js[0], Trigger::Manual, None).await.unwrap();
    assert_eq!((out.status, out.attempts), (Status::Failed, 2));
    assert!(out.error.unwrap().contains("source indisponible"));
    assert_eq!(
        count(
            &db.db,
            "SELECT count(*) FROM job_runs WHERE job = 'fragile2' AND status = 'failed'"
        ),
        1
    );
}

#[tokio::test]
async fn a_panic_in_a_job_is_caught_and_recorded() {
    let db = test_db();
    let body: BodyFn = Arc::new(|_, _| Box::pin(async { panic!("index hors limites") }));
    let runner = runner_with(&db, body);
    let (_d, js) = jobs(&[("a.toml", &job("fragile", "0 0 6 * * *", ""))]);
    let out = runner.run(&js[0], Trigger::Manual, None).await.unwrap();
    assert_eq!(out.status, Status::Failed);
    assert!(out.error.as_deref().unwrap().contains("index hors limites"));
    let err: String = db
        .db
        .connect()
        .unwrap()
        .query_row(
            "SELECT error FROM job_runs WHERE job = 'fragile'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(err.contains("panique"));
    // the runner is still usable
    assert!(runner.run(&js[0], Trigger::Manual, None).await.is_ok());
}

/// Waits (no sleep) until the scheduler has armed `job` for a firing time after `after`, and
/// returns that time. A job loop re-arms only once its previous firing has run (or was skipped).
async fn armed_after(
    armed: &mut tokio::sync::watch::Receiver<std::collections::BTreeMap<String, DateTime<Utc>>>,
    job: &str,
    after: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let m = tokio::time::timeout(
        Duration::from_secs(60),
        armed.wait_for(|m| m.get(job).is_some_and(|t| after.is_none_or(|a| *t > a))),
    )
    .await
    .expect("the scheduler never armed the job")
    .unwrap();
    m[job]
}

/// Runs a daily 05:30 (Paris) job on a manual clock started at `start`. Each step moves the clock
/// to an instant and states the expected count of runs and the firing time then armed (UTC).
async fn daily_0530_runs(start: &str, first: &str, steps: &[(&str, u32, &str, &str)]) {
    let db = test_db();
    let n = Arc::new(AtomicU32::new(0));
    let runner = runner_with(&db, counting_body(n.clone()));
    let (_d, js) = jobs(&[("a.toml", &job("matin", "0 30 5 * * *", ""))]);
    let clock = ManualClock::new(utc(start));
    let sched = Scheduler::new(runner, Arc::new(js), clock.clone());
    let mut armed = sched.armed.subscribe();
    sched.spawn(false);
    let mut next = armed_after(&mut armed, "matin", None).await;
    assert_eq!(next, utc(first), "first firing time");
    for (at, expected, then_armed, why) in steps {
        let at = utc(at);
        clock.set(at);
        if at >= next {
            // the firing is due: wait until it has run and the loop re-armed
            next = armed_after(&mut armed, "matin", Some(next)).await;
        }
        // the loop sleeps until `next` > now: nothing else can fire
        assert!(next > at);
        assert_eq!(next, utc(then_armed), "at {at}: next firing");
        assert_eq!(n.load(Ordering::SeqCst), *expected, "at {at}: {why}");
    }
}

#[tokio::test]
async fn scheduled_runs_keep_paris_time_across_the_spring_change() {
    daily_0530_runs(
        "2026-03-28T12:00:00Z",
        "2026-03-29T03:30:00Z", // 05:30 CEST, the day the clocks go forward
        &[
            (
                "2026-03-29T03:29:59Z",
                0,
                "2026-03-29T03:30:00Z",
                "05:29:59 CEST: not yet",
            ),
            (
                "2026-03-29T03:30:00Z",
                1,
                "2026-03-30T03:30:00Z",
                "05:30 CEST",
            ),
            (
                "2026-03-29T04:30:00Z",
                1,
                "2026-03-30T03:30:00Z",
                "no second run at the old UTC offset",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn scheduled_runs_keep_paris_time_across_the_autumn_change() {
    daily_0530_runs(
        "2026-10-24T12:00:00Z",
        "2026-10-25T04:30:00Z", // 05:30 CET, the day the clocks go back
        &[
            (
                "2026-10-25T03:30:00Z",
                0,
                "2026-10-25T04:30:00Z",
                "04:30 CET: the summer offset would fire here",
            ),
            (
                "2026-10-25T04:30:00Z",
                1,
                "2026-10-26T04:30:00Z",
                "05:30 CET",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn at_start_up_stale_jobs_catch_up_dependencies_first() {
    let db = test_db();
    let order = Arc::new(Mutex::new(Vec::new()));
    let runner = runner_with(&db, recording_body(order.clone(), None));
    let (_d, js) = jobs(&[
        (
            "1.toml",
            &job("indicateurs", "0 0 8 * * *", "after = [\"collecte\"]"),
        ),
        ("2.toml", &job("collecte", "0 0 6 * * *", "")),
        ("3.toml", &job("frais", "0 0 6 * * *", "")),
    ]);
    // "frais" succeeded an hour ago: it is not due
    db.db
        .connect()
        .unwrap()
        .execute(
            "INSERT INTO job_runs (run_id, job, trigger, started_at, finished_at, status)
             VALUES (nextval('job_run_seq'), 'frais', 'schedule', now()::TIMESTAMP - INTERVAL 1 HOUR, now()::TIMESTAMP - INTERVAL 1 HOUR, 'success')",
            [],
        )
        .unwrap();
    let sched = Scheduler::new(
        runner,
        Arc::new(js),
        Arc::new(observatoire::schedule::clock::SystemClock),
    );
    let ran = sched.catch_up().await.unwrap();
    assert_eq!(ran, ["collecte", "indicateurs"]);
    assert_eq!(*order.lock().unwrap(), ["collecte", "indicateurs"]);
    assert_eq!(
        count(
            &db.db,
            "SELECT count(*) FROM job_runs WHERE trigger = 'catch-up'"
        ),
        2
    );
}

#[tokio::test]
async fn after_waits_for_the_dependency_of_the_same_day() {
    let db = test_db();
    let order = Arc::new(Mutex::new(Vec::new()));
    let runner = runner_with(&db, recording_body(order.clone(), Some("collecte")));
    // both fire at 06:00; "indicateurs" must wait for "collecte"
    let (_d, js) = jobs(&[
        (
            "1.toml",
            &job("indicateurs", "0 0 6 * * *", "after = [\"collecte\"]"),
        ),
        ("2.toml", &job("collecte", "0 0 6 * * *", "")),
    ]);
    let clock = ManualClock::new(Utc::now() - chrono::Duration::days(1));
    let sched = Scheduler::new(runner, Arc::new(js), clock.clone());
    let mut armed = sched.armed.subscribe();
    sched.spawn(false);
    let first = armed_after(&mut armed, "collecte", None).await;
    assert_eq!(armed_after(&mut armed, "indicateurs", None).await, first);
    clock.set(Utc::now() + chrono::Duration::days(1));
    // both loops re-arm only once their firing has run
    armed_after(&mut armed, "collecte", Some(first)).await;
    armed_after(&mut armed, "indicateurs", Some(first)).await;
    assert_eq!(*order.lock().unwrap(), ["collecte", "indicateurs"]);
}

#[test]
fn invalid_job_files_are_reported_with_file_and_field_and_the_others_kept() {
    let dir = tempfile::tempdir().unwrap();
    let w = |n: &str, t: &str| std::fs::write(dir.path().join(n), t).unwrap();
    w("ok.toml", &job("bonne", "0 0 6 * * *", ""));
    w("cron.toml", &job("mauvais-cron", "tous les jours", ""));
    w(
        "champ.toml",
        &(job("champ", "0 0 6 * * *", "") + "frequence = 3\n"),
    );
    w(
        "apres.toml",
        &job("orpheline", "0 0 6 * * *", "after = [\"inexistante\"]"),
    );
    w(
        "delai.toml",
        &job("delai", "0 0 6 * * *", "timeout = \"bientôt\""),
    );
    w("notes.txt", "pas une tâche");
    let (jobs, errors) = load_dir(dir.path());
    assert_eq!(
        jobs.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(),
        ["bonne"]
    );
    let find = |file: &str| {
        errors
            .iter()
            .find(|e| e.file.ends_with(file))
            .unwrap_or_else(|| panic!("{file}: {errors:?}"))
            .message
            .clone()
    };
    assert!(find("cron.toml").contains("schedule"));
    assert!(find("champ.toml").contains("frequence"));
    assert!(find("apres.toml").contains("after"));
    assert!(find("delai.toml").contains("timeout"));
    assert_eq!(errors.len(), 4);
}

#[tokio::test]
async fn admin_requires_the_bearer_token() {
    // no token configured: disabled
    let app = TestApp::builder().admin_token(None).spawn().await;
    assert_eq!(app.get("/admin/jobs").await.status(), 404);
    let r = app
        .client
        .post(format!("{}/admin/jobs/indicators/run", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // token configured
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/admin/jobs").await.status(), 401);
    let wrong = app
        .client
        .get(format!("{}/admin/jobs", app.address))
        .bearer_auth("devine")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let ok = app
        .client
        .get(format!("{}/admin/jobs", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let html = ok.text().await.unwrap();
    assert!(html.contains("francetravail-offres") && html.contains("indicators"));
    assert!(!html.contains(ADMIN_TOKEN));
    let post = |auth: Option<&str>| {
        let mut r = app
            .client
            .post(format!("{}/admin/jobs/indicators/run", app.address));
        if let Some(a) = auth {
            r = r.bearer_auth(a);
        }
        r.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 401);
    assert_eq!(post(Some("devine")).await.unwrap().status(), 401);
    assert_eq!(count(&app.db.db, "SELECT count(*) FROM job_runs"), 0);
    assert_eq!(post(Some(ADMIN_TOKEN)).await.unwrap().status(), 202);
    let unknown = app
        .client
        .post(format!("{}/admin/jobs/nimporte/run", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    // the run is recorded, visible in /api/v1/jobs, and counted in /metrics
    let mut status = String::new();
    // the rebuild of every derived table: up to two minutes on a loaded machine
    for _ in 0..1200 {
        let v: serde_json::Value = app.get("/api/v1/jobs").await.json().await.unwrap();
        let job = v
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["name"] == "indicators")
            .unwrap()
            .clone();
        status = job["last_runs"][0]["status"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if status == "success" {
            assert!(
                job["next_run"].as_str().unwrap().ends_with("+01:00")
                    || job["next_run"].as_str().unwrap().ends_with("+02:00")
            );
            assert_eq!(job["last_runs"][0]["trigger"], "manual");
            assert!(
                job["last_runs"][0].get("error").is_none(),
                "run errors and notes are admin-only: {job}"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "success");
    assert_eq!(
        db_note(&app, "indicators"),
        "indicateurs recalculés",
        "the run note is kept for the admin page"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("observatoire_job_runs_total{job=\"indicators\",status=\"success\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("observatoire_source_last_success_timestamp_seconds{source=\"ft-bmo\"}")
    );
}

#[tokio::test]
async fn metrics_count_http_latency_by_route() {
    let app = TestApp::spawn().await;
    app.get("/territoires/ze/2815").await;
    app.get("/territoires/ze/9999").await;
    let m = app.get("/metrics").await.text().await.unwrap();
    assert!(m.contains("observatoire_http_request_duration_seconds_count{route=\"/territoires/{kind}/{code}\",method=\"GET\",status=\"2xx\"} 1"), "{m}");
    assert!(m.contains("route=\"/territoires/{kind}/{code}\",method=\"GET\",status=\"4xx\""));
}

#[test]
fn shipped_job_files_are_valid() {
    let (jobs, errors) = load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs"));
    assert!(errors.is_empty());
    assert!(jobs
        .iter()
        .any(|j| j.name == "indicators" && j.after == ["francetravail-offres"]));
}
