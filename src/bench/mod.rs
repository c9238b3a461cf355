//! Scale benchmarks' own tools: a synthetic dataset in the France Travail API's format
//! (`generate`) and the collector path over it (`ingest`). Synthetic data never reaches a real
//! database: `ingest` only writes into a new file.
pub mod generate;
pub mod ingest;
mod model;
