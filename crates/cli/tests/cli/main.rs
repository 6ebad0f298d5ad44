//! The `zentrale` binary as a user runs it: the demo, the agent, revoke, simulate, and the
//! account commands, each as a separate process talking over loopback.

mod accounts;
mod balancer;
mod cluster;
mod cluster_nats;
mod cluster_setup;
mod commands;
mod config;
mod demo;
#[path = "../../../server/tests/it/moto.rs"]
mod moto;
mod nodes;
#[path = "../../../server/tests/it/relay.rs"]
mod relay;
mod support;
