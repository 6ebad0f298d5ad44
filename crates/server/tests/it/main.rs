//! Integration tests: each boots the real server on 127.0.0.1:0 with a fresh database
//! (SQLite file or its own PostgreSQL database) and talks to it over HTTP and WebSocket,
//! with real agents (simulated PBXes) where a PBX is involved.

mod access;
mod access_paths;
mod alerts;
mod api;
mod audit;
mod backups;
mod blobs;
mod browser;
mod calls;
mod calls_file;
mod calls_many;
mod calls_privacy;
mod commands;
mod commands_progress;
mod conformance;
mod dashboard;
mod device_channel;
mod firmware;
mod groups;
mod hardening;
mod harness;
mod harness_api;
mod heartbeat;
mod i18n;
mod live;
mod mail_warnings;
mod matrix;
mod matrix_fixture;
mod matrix_remote;
mod monitoring;
mod moto;
mod nodes;
mod oidc;
mod operator;
mod oversize;
mod pages;
mod paging;
mod pairing;
mod registrations;
mod relay;
mod remote;
mod remote_browser;
mod remote_ends;
mod revoke;
mod schema;
mod sessions;
mod smtp;
mod storm;
mod structure;
mod throttle;
mod transfers;
mod transport;
mod ui;

/// Runs an `async fn name(Backend)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::harness::Backend::Postgres).await
            }
        }
    )*};
}
