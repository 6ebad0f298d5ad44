//! `zentrale`: the one binary of the project. Each subcommand lives in its own module.

mod admin;
mod conformance;
#[macro_use]
mod out;
mod agent_cmd;
mod demo;
mod demo_firmware;
mod serve;
mod simulate;

#[cfg(feature = "dhat-heap")]
mod heap_profile;

/// mimalloc returns freed memory to the system more readily than glibc malloc when many
/// long-lived connections interleave with bursts of short-lived allocations.
#[cfg(not(feature = "dhat-heap"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "zentrale",
    version = zentrale_server::dashboard::VERSION,
    about = "Control center for fleets of business telephone systems"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the control center.
    Serve(Box<serve::ServeArgs>),
    /// Run the control center with a demo company, an administrator and simulated PBXes.
    Demo(demo::DemoArgs),
    /// Run the agent of one PBX (simulated COMtrexx), or delete its access.
    Agent(Box<agent_cmd::AgentArgs>),
    /// Run many simulated PBXes in one process.
    Simulate(Box<simulate::SimulateArgs>),
    /// Manage companies (tenants).
    Company(admin::CompanyArgs),
    /// Manage user accounts.
    User(admin::UserArgs),
    /// Create or update the database schema, then exit.
    Migrate(serve::DbArgs),
    /// The audit log: `verify` checks its hash chain.
    Audit(admin::AuditArgs),
    /// The conformance kit: `server` checks a control center against docs/protocol.md.
    Conformance(conformance::ConformanceArgs),
}

fn main() -> ExitCode {
    #[cfg(feature = "dhat-heap")]
    let _profile = heap_profile::start();
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZENTRALE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Colour only for a terminal: log files and pipes get plain text.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            crate::complain!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match cli.cmd {
            Cmd::Serve(a) => serve::run(*a).await,
            Cmd::Demo(a) => demo::run(a).await,
            Cmd::Agent(a) => agent_cmd::run(*a).await,
            Cmd::Simulate(a) => simulate::run(*a).await,
            Cmd::Company(a) => admin::company(a).await,
            Cmd::User(a) => admin::user(a).await,
            Cmd::Migrate(a) => serve::migrate(a).await,
            Cmd::Audit(a) => return admin::audit(a).await,
            Cmd::Conformance(a) => return conformance::run(a).await,
        }
        .map(|()| ExitCode::SUCCESS)
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            crate::complain!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
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
}
