//! Server start-up: bind (a busy port is a clear error), serve, stop on SIGINT/SIGTERM.
use std::net::SocketAddr;

use anyhow::{anyhow, Result};
use tokio::net::TcpListener;

use crate::store::Db;
use crate::web::{router, AppState};

pub async fn bind(addr: &str) -> Result<TcpListener> {
    let sock: SocketAddr = addr.parse().map_err(|_| {
        anyhow!("adresse d'écoute invalide : {addr:?} (attendu IP:port, ex. 127.0.0.1:8080)")
    })?;
    TcpListener::bind(sock).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            anyhow!(
                "le port {} est déjà utilisé : arrêtez l'autre programme ou choisissez --bind",
                sock.port()
            )
        }
        _ => anyhow!("impossible d'écouter sur {sock} : {e}"),
    })
}

pub async fn serve(listener: TcpListener, db: Db) -> Result<()> {
    let app = router(AppState::new(db));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("arrêt demandé : fin des requêtes en cours");
}
