//! `GET /metrics` (Prometheus text format): HTTP request latencies by route, job durations, rows
//! and failures (from `job_runs`), and the last success of every source.
use std::collections::BTreeMap;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use super::{AppError, AppState};

const HTTP_LATENCY: &str = "observatoire_http_request_duration_seconds";
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// This app's metrics registry (`metrics` + `metrics-exporter-prometheus`), local to the app
/// rather than process-global so that several apps (the tests) keep separate counts.
pub struct HttpMetrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_LATENCY.into()), BUCKETS)
            .expect("non-empty buckets")
            .build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            metrics::describe_histogram!(
                HTTP_LATENCY,
                metrics::Unit::Seconds,
                "HTTP request latency by route."
            );
            metrics::describe_counter!(
                "observatoire_job_runs_total",
                "Finished job runs by status."
            );
            metrics::describe_counter!(
                "observatoire_job_duration_seconds_total",
                "Time spent in finished job runs."
            );
            metrics::describe_counter!(
                "observatoire_job_rows_total",
                "Rows handled by finished job runs."
            );
            metrics::describe_counter!(
                "observatoire_job_failures_total",
                "Failed or cancelled job runs."
            );
            metrics::describe_gauge!(
                "observatoire_source_last_success_timestamp_seconds",
                "Last successful load of each source."
            );
            metrics::describe_gauge!("observatoire_source_rows", "Rows loaded by each source.");
        });
        HttpMetrics { recorder, handle }
    }
}

impl HttpMetrics {
    fn observe(&self, route: String, method: String, status: String, secs: f64) {
        metrics::with_local_recorder(&self.recorder, || {
            metrics::histogram!(HTTP_LATENCY, "route" => route, "method" => method, "status" => status)
                .record(secs)
        });
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

pub async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
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
    // Job and source figures come from `job_runs` and `sources` (they survive restarts): set as
    // absolute values at each scrape.
    let m = &state.metrics;
    metrics::with_local_recorder(&m.recorder, || {
        let mut failures: BTreeMap<&str, u64> = BTreeMap::new();
        for j in &jobs {
            let labels = [("job", j.job.clone()), ("status", j.status.clone())];
            metrics::counter!("observatoire_job_runs_total", &labels).absolute(j.runs as u64);
            metrics::counter!("observatoire_job_duration_seconds_total", &labels)
                .absolute(j.seconds.round() as u64);
            for (kind, v) in ["read", "added", "updated", "closed"].iter().zip(j.rows) {
                metrics::counter!("observatoire_job_rows_total", "job" => j.job.clone(),
                    "status" => j.status.clone(), "kind" => *kind)
                .absolute(v.max(0) as u64);
            }
            *failures.entry(&j.job).or_default() +=
                if j.status == "failed" || j.status == "cancelled" {
                    j.runs as u64
                } else {
                    0
                };
        }
        for (job, n) in failures {
            metrics::counter!("observatoire_job_failures_total", "job" => job.to_string())
                .absolute(n);
        }
        for (id, ts, rows) in &sources {
            metrics::gauge!("observatoire_source_last_success_timestamp_seconds", "source" => id.clone())
                .set(*ts);
            metrics::gauge!("observatoire_source_rows", "source" => id.clone()).set(*rows as f64);
        }
    });
    let out = m.handle.render();
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}
