//! Observatoire: a territorial labour-market observatory for the Maisons de l'Emploi.
//!
//! Data flow: `collect` (one module per source) → `store` (DuckDB: raw, referential tables) →
//! `indicators` (derived `ind_*` tables) → `web` (pages and JSON API, reading derived tables only).
pub mod bench;
pub mod cli;
pub mod cli_backup;
pub mod collect;
pub mod config;
pub mod failpoint;
pub mod forecast;
#[doc(hidden)]
pub mod fuzz;
pub mod indicators;
pub mod init;
pub mod referentials;
pub mod schedule;
pub mod startup;
pub mod status;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod web;
