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

/// Downloads `url` to a temporary file, streamed to disk and refused past `max_bytes`, retrying
/// transient failures with jittered back-off.
pub async fn download(
    url: &str,
    max_retries: usize,
    max_bytes: u64,
) -> Result<tempfile::NamedTempFile> {
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
            let too_big = || {
                (
                    false,
                    anyhow!(
                        "téléchargement de {url} : fichier de plus de {} Mo (limite `[sources] max_download_mb`) ; rien n'a été importé",
                        max_bytes / 1_000_000
                    ),
                )
            };
            if r.content_length().is_some_and(|n| n > max_bytes) {
                return Err(too_big());
            }
            let ct = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let mut f = tempfile::Builder::new()
                .prefix("observatoire-opendata-")
                .suffix(&format!(".{}", extension(url, ct.as_deref())))
                .tempfile()
                .map_err(|e| (false, anyhow!("fichier temporaire : {e}")))?;
            let (mut written, mut r) = (0u64, r);
            while let Some(chunk) = r
                .chunk()
                .await
                .map_err(|e| (true, anyhow!("téléchargement de {url} interrompu : {e}")))?
            {
                written += chunk.len() as u64;
                if written > max_bytes {
                    return Err(too_big());
                }
                f.write_all(&chunk)
                    .map_err(|e| (false, anyhow!("écriture du fichier téléchargé : {e}")))?;
            }
            f.flush()
                .map_err(|e| (false, anyhow!("écriture du fichier téléchargé : {e}")))?;
            Ok((f, written))
        };
        match attempt.await {
            Ok((f, written)) => {
                if written == 0 {
                    bail!("téléchargement de {url} : fichier vide");
                }
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
    let max = ctx.config.sources.max_download_mb.saturating_mul(1_000_000);
    let file = download(url, 3, max).await?;
    ctx.cancel.check()?;
    let (cancel, path) = (ctx.cancel.clone(), file.path().to_path_buf());
    let report = ctx
        .db
        .call(move |c| import_cancellable(c, source, &path, super::Replace::Keys, &cancel))
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
