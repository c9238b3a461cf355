//! Jobs and their scheduling: definitions (`jobs/*.toml`), the runner (records `job_runs`,
//! timeouts, retries, overlap guard) and the clock-driven scheduler.
pub mod cli;
pub mod clock;
pub mod context;
pub mod jobs;
pub mod runner;
pub mod scheduler;
