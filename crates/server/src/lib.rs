//! Zentrale's control center: web UI, device gateway and storage.
//!
//! One module per area of the manual (`systems`, `pairing`, …), each split into routes
//! (thin handlers), service (rules), store (queries) and views (what templates show).

pub mod access;
pub mod account;
pub mod alerts;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod authorisations;
pub mod backups;
pub mod blobs;
pub mod calls;
pub mod clock;
pub mod cluster;
pub mod commands;
pub mod companies;
pub mod config;
pub mod context;
pub mod dashboard;
pub mod db;
pub mod error;
pub mod firmware;
pub mod gateway;
pub mod groups;
pub mod help;
pub mod i18n;
pub mod ids;
pub mod input;
pub mod jobs;
pub mod legal;
pub mod listener;
pub mod metrics;
pub mod monitoring;
pub mod news;
pub mod operator;
pub mod pairing;
pub mod registrations;
pub mod remote;
pub mod route;
pub mod smtp;
pub mod state;
pub mod systems;
pub mod tls;
pub mod transfers;
pub mod ui_routes;
pub mod users;
pub mod web;

pub use app::{router, serve, serve_with_remote, start};
pub use clock::Clock;
pub use config::Config;
pub use error::{AppError, AppResult};
pub use state::AppState;
