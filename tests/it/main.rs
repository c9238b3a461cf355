//! The single integration-test binary: a `TestApp` harness (temporary DuckDB file, app on port 0).
mod analytics;
mod boards;
mod browser;
mod cli;
mod competences;
mod crash;
mod francetravail;
mod ft_mock;
mod helpers;
mod imports;
mod init;
mod jobs;
mod marche_travail;
mod privacy_scan;
mod referentials;
mod secteurs;
mod web;
