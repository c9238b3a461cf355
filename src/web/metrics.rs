//! `GET /metrics` (Prometheus text format): HTTP request latencies by route, job durations, rows
//! and failures (from `job_runs`), and the last success of every source.
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AppError, AppState};

const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Request latency histograms keyed by (route, method, status class).
#[derive(Default)]
pub struct HttpMetrics {
    by_route: Mutex<BTreeMap<(String, String, String), Histogram>>,
}

impl HttpMetrics {
    fn observe(&self, route: String, method: String, status: String, secs: f64) {
        let Ok(mut map) = self.by_route.lock() else {
            return;
        };
        let h = map
            .entry((route, method, status))
            .or_insert_with(|| Histogram {
                counts: vec![0; BUCKETS.len()],
                ..Default::default()
            });
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }
}

pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = format!("{}xx", resp.status().as_u16() / 100);
    state
        .metrics
        .observe(route, method, status, start.elapsed().as_secs_f64());
    resp
}

struct JobStat {
    job: String,
    status: String,
    runs: i64,
    seconds: f64,
    /// read, added, updated, closed
    rows: [i64; 4],
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', " ")
}

pub async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let mut out = String::new();
    out.push_str(
        "# HELP observatoire_http_request_duration_seconds HTTP request latency by route.\n",
    );
    out.push_str("# TYPE observatoire_http_request_duration_seconds histogram\n");
    if let Ok(map) = state.metrics.by_route.lock() {
        for ((route, method, status), h) in map.iter() {
            let labels = format!(
                "route=\"{}\",method=\"{}\",status=\"{}\"",
                esc(route),
                method,
                status
            );
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "observatoire_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "observatoire_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "observatoire_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "observatoire_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
    }
    let (jobs, sources) = state
        .db
        .call(|c| {
            let jobs: Vec<JobStat> = c
                .prepare(
                    "SELECT job, status, count(*), coalesce(sum(epoch(finished_at) - epoch(started_at)), 0)::DOUBLE,
                            coalesce(sum(rows_read), 0), coalesce(sum(rows_added), 0),
                            coalesce(sum(rows_updated), 0), coalesce(sum(rows_closed), 0)
                     FROM job_runs WHERE finished_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
                )?
                .query_map([], |r| {
                    Ok(JobStat {
                        job: r.get(0)?,
                        status: r.get(1)?,
                        runs: r.get(2)?,
                        seconds: r.get(3)?,
                        rows: [r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?],
                    })
                })?
                .collect::<Result<_, _>>()?;
            let sources: Vec<(String, f64, i64)> = c
                .prepare("SELECT source_id, epoch(last_success_at)::DOUBLE, rows_loaded FROM sources ORDER BY 1")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            Ok((jobs, sources))
        })
        .await?;
    out.push_str("# HELP observatoire_job_runs_total Finished job runs by status.\n# TYPE observatoire_job_runs_total counter\n");
    for j in &jobs {
        let _ = writeln!(
            out,
            "observatoire_job_runs_total{{job=\"{}\",status=\"{}\"}} {}",
            esc(&j.job),
            j.status,
            j.runs
        );
    }
    out.push_str("# HELP observatoire_job_duration_seconds_total Time spent in finished job runs.\n# TYPE observatoire_job_duration_seconds_total counter\n");
    for j in &jobs {
        let _ = writeln!(
            out,
            "observatoire_job_duration_seconds_total{{job=\"{}\",status=\"{}\"}} {}",
            esc(&j.job),
            j.status,
            j.seconds
        );
    }
    out.push_str("# HELP observatoire_job_rows_total Rows handled by finished job runs.\n# TYPE observatoire_job_rows_total counter\n");
    for j in &jobs {
        for (kind, v) in ["read", "added", "updated", "closed"].iter().zip(j.rows) {
            let _ = writeln!(
                out,
                "observatoire_job_rows_total{{job=\"{}\",status=\"{}\",kind=\"{kind}\"}} {v}",
                esc(&j.job),
                j.status
            );
        }
    }
    out.push_str("# HELP observatoire_job_failures_total Failed or cancelled job runs.\n# TYPE observatoire_job_failures_total counter\n");
    let mut failures: BTreeMap<&str, i64> = BTreeMap::new();
    for j in &jobs {
        *failures.entry(&j.job).or_default() += if j.status == "failed" || j.status == "cancelled" {
            j.runs
        } else {
            0
        };
    }
    for (job, n) in failures {
        let _ = writeln!(
            out,
            "observatoire_job_failures_total{{job=\"{}\"}} {n}",
            esc(job)
        );
    }
    out.push_str("# HELP observatoire_source_last_success_timestamp_seconds Last successful load of each source.\n# TYPE observatoire_source_last_success_timestamp_seconds gauge\n");
    for (id, ts, _) in &sources {
        let _ = writeln!(
            out,
            "observatoire_source_last_success_timestamp_seconds{{source=\"{}\"}} {ts}",
            esc(id)
        );
    }
    out.push_str("# HELP observatoire_source_rows Rows loaded by each source.\n# TYPE observatoire_source_rows gauge\n");
    for (id, _, rows) in &sources {
        let _ = writeln!(
            out,
            "observatoire_source_rows{{source=\"{}\"}} {rows}",
            esc(id)
        );
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}
