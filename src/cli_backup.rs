//! `observatoire backup DIR`: direct when the database is free; through the running `serve`
//! (`POST /admin/backup`, admin token) when `serve` holds it, since one process only may open
//! the database.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::config::Config;
use crate::store::{backup, Db, Locked};

pub fn backup(config: &Config, db_path: &Path, dir: &Path) -> Result<()> {
    crate::cli::require_db(db_path)?;
    let dir = std::path::absolute(dir)
        .with_context(|| format!("chemin de sauvegarde {} invalide", dir.display()))?;
    let manifest = match Db::open(db_path) {
        Ok(db) => backup::backup(&db.connect()?, &dir)?,
        Err(e) if e.downcast_ref::<Locked>().is_some() => through_serve(config, &dir, e)?,
        Err(e) => return Err(e),
    };
    println!(
        "Sauvegarde écrite dans {} : {} tables, {} lignes (schéma {}), manifest.json.",
        dir.display(),
        manifest.tables.len(),
        manifest.rows(),
        manifest.schema_version
    );
    Ok(())
}

/// The address to reach `serve` at: its bind address, loopback when it listens on all.
fn local_url(bind: &str) -> Result<String> {
    let addr: std::net::SocketAddr = bind
        .parse()
        .with_context(|| format!("[server] bind = {bind:?} n'est pas une adresse IP:port"))?;
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    Ok(format!(
        "http://{}/admin/backup",
        std::net::SocketAddr::new(ip, addr.port())
    ))
}

fn through_serve(
    config: &Config,
    dir: &PathBuf,
    locked: anyhow::Error,
) -> Result<backup::Manifest> {
    let Some(token) = std::env::var("OBSERVATOIRE_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
    else {
        bail!(
            "{locked}. Pour sauvegarder pendant que le service tourne, définissez \
             OBSERVATOIRE_ADMIN_TOKEN (le jeton d'administration du service) : la copie est alors faite par lui"
        );
    };
    let url = local_url(&config.server.bind)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .post(&url)
            .bearer_auth(token)
            .json(&serde_json::json!({ "dir": dir }))
            .send()
            .await
            .with_context(|| format!("le service ne répond pas sur {url}"))?;
        let status = resp.status();
        let body: serde_json::Value = resp
            .json()
            .await
            .with_context(|| format!("réponse illisible de {url} ({status})"))?;
        if !status.is_success() {
            bail!(
                "le service a refusé la sauvegarde ({status}) : {}",
                body["detail"].as_str().unwrap_or("sans détail")
            );
        }
        serde_json::from_value(body).context("manifeste renvoyé par le service")
    })
}
