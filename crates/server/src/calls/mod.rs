//! Call data (manual: Selected system › Call data, Call data role): records retrieved from
//! the PBX in batches over the device link, listed and exported as `gespr_dat.csv`.

pub mod batch;
pub mod bulk;
pub mod checkpoint;
pub mod columns;
pub mod csv_rows;
pub mod export;
pub mod filter;
pub mod ingest;
pub mod read;
pub mod retrieval;
pub mod routes;
pub mod service;
pub mod store;
pub mod views;
pub mod writer;
