//! Scheduled open-data collectors: download the publisher's file from a configurable URL (job
//! parameter `url`), then import it exactly as `observatoire import` does (same validation, one
//! transaction). A failed download or a malformed file leaves the database as it was.
use std::io::Write;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use backon::BackoffBuilder;

use super::import::{import_cancellable, ImportSource};
use crate::schedule::context::{JobCtx, RunSummary};

fn extension(url: &str, content_type: Option<&str>) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if path.ends_with(".xlsx") || ct.contains("spreadsheetml") {
        "xlsx"
    } else if path.ends_with(".xls") || ct.contains("ms-excel") {
        "xls"
    } else if path.ends_with(".ods") || ct.contains("opendocument.spreadsheet") {
        "ods"
    } else {
        "csv"
    }
}

/// Downloads `url` to a temporary file, retrying transient failures with jittered back-off.
pub async fn download(url: &str, max_retries: usize) -> Result<tempfile::NamedTempFile> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .user_agent(concat!(
            "observatoire-gptec/",
            env!("CARGO_PKG_VERSION"),
            " (open data collector)"
        ))
        .build()?;
    let mut delays = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(2))
        .with_max_times(max_retries)
        .with_jitter()
        .build();
    loop {
        let attempt = async {
            let r = http
                .get(url)
                .send()
                .await
                .map_err(|e| (true, anyhow!("téléchargement de {url} : {e}")))?;
            let status = r.status();
            if !status.is_success() {
                let transient = status.is_server_error() || status.as_u16() == 429;
                return Err((
                    transient,
                    anyhow!("téléchargement de {url} : réponse {status}"),
                ));
            }
            let ct = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = r
                .bytes()
                .await
                .map_err(|e| (true, anyhow!("téléchargement de {url} interrompu : {e}")))?;
            Ok((body, ct))
        };
        match attempt.await {
            Ok((body, ct)) => {
                if body.is_empty() {
                    bail!("téléchargement de {url} : fichier vide");
                }
                let mut f = tempfile::Builder::new()
                    .prefix("observatoire-opendata-")
                    .suffix(&format!(".{}", extension(url, ct.as_deref())))
                    .tempfile()?;
                f.write_all(&body)?;
                f.flush()?;
                return Ok(f);
            }
            Err((true, e)) => match delays.next() {
                Some(d) => {
                    tracing::warn!("{e:#} ; nouvel essai dans {:.0} s", d.as_secs_f64());
                    tokio::time::sleep(d).await;
                }
                None => return Err(e),
            },
            Err((false, e)) => return Err(e),
        }
    }
}

pub async fn run(ctx: &JobCtx, source: ImportSource, url: &str) -> Result<RunSummary> {
    ctx.progress.message(&format!("téléchargement {url}"));
    let file = download(url, 3).await?;
    ctx.cancel.check()?;
    let (cancel, path) = (ctx.cancel.clone(), file.path().to_path_buf());
    let report = ctx
        .db
        .call_derived(move |c| import_cancellable(c, source, &path, super::Replace::Keys, &cancel))
        .await
        .with_context(|| format!("import de {url}"))?;
    drop(file);
    Ok(RunSummary {
        rows_read: report.rows,
        rows_added: report.rows,
        note: Some(format!("millésime {}", report.vintage)),
        ..Default::default()
    })
}
