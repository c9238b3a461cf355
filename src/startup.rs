//! Server start-up: bind (a busy port is a clear error), serve, stop on SIGINT/SIGTERM.
use std::net::SocketAddr;

use anyhow::{anyhow, Result};
use tokio::net::TcpListener;

use std::sync::Arc;

use crate::config::Config;
use crate::schedule::clock::Clock;
use crate::schedule::jobs::load_dir;
use crate::schedule::runner::Runner;
use crate::schedule::scheduler::Scheduler;
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

/// The web state with the job runner and the job definitions of `config.scheduler.jobs_dir`.
/// Invalid job files are reported (file and field) and left out; the other jobs still run.
pub fn app_state(db: Db, config: Arc<Config>, admin_token: Option<String>) -> AppState {
    let (jobs, errors) = load_dir(&config.scheduler.jobs_dir);
    for e in &errors {
        tracing::error!("fichier de tâche invalide, ignoré : {e}");
    }
    let runner = Runner::new(db, config);
    AppState::new(runner, jobs, errors, admin_token)
}

/// Starts the scheduler of `state`'s jobs on `clock`.
pub fn start_scheduler(
    state: &AppState,
    clock: Arc<dyn Clock>,
    catch_up: bool,
) -> Vec<tokio::task::JoinHandle<()>> {
    Scheduler::new(state.runner.clone(), state.jobs.clone(), clock).spawn(catch_up)
}

/// Serves until `shutdown` resolves; then stops scheduling, cancels running jobs (they roll
/// back) and waits for them, at most 30 s.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let runner = state.runner.clone();
    let stop = runner.shutdown.clone();
    let db = runner.db.clone();
    let watched = db.clone();
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            // a fatal DuckDB error (full disk…) invalidates the database: stop, so that the
            // service manager starts a new process that opens the file again
            tokio::select! { _ = shutdown => {}, _ = watched.invalidated() => {} }
            stop.cancel();
        })
        .await?;
    runner.shutdown.cancel();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !runner.running().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let left = runner.running();
    if !left.is_empty() {
        tracing::warn!(
            "arrêt avec des tâches encore en cours : {}",
            left.join(", ")
        );
    }
    if db.is_invalidated() {
        anyhow::bail!(crate::store::INVALIDATED);
    }
    Ok(())
}

/// SIGINT or SIGTERM. The handlers are installed when this is called (not when the future is
/// first polled), so a signal that arrives during start-up (init, migrations) is not lost to the
/// default action: the server then stops as soon as it starts serving.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (term, int) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! { _ = wait(term) => {}, _ = wait(int) => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("arrêt demandé : fin des requêtes en cours");
    }
}
