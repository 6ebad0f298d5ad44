//! `zentrale conformance server|agent`: the conformance kit's checks of a control center or
//! of an agent, printed rule by rule; exits 1 when a rule fails.

use crate::agent_cmd::{ConnArgs, config};
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Args)]
pub struct ConformanceArgs {
    #[command(subcommand)]
    cmd: ConformanceCmd,
}

#[derive(Subcommand)]
enum ConformanceCmd {
    /// Check a control center as a PBX meets it (pairing, error bodies, hello, unknown
    /// methods, refused params, request ids, heartbeat). Uses up the confirmation code.
    Server {
        #[command(flatten)]
        conn: ConnArgs,
        /// Serial number of the system the code belongs to.
        #[arg(long)]
        serial: String,
        /// Its confirmation code (token), from Administration › Systems.
        #[arg(long)]
        token: String,
        /// A personal API token of a user who may see the system: lets the kit press
        /// Refresh to check the server's request ids (skipped without it).
        #[arg(long, env = "ZENTRALE_API_TOKEN", hide_env_values = true)]
        api_token: Option<String>,
    },
    /// Check an agent as the control center meets it: listen, let the agent connect with
    /// the given credential (its state file names this address), run the script.
    Agent {
        /// Address to listen on, e.g. 127.0.0.1:9443 (plain HTTP: run it on a test network).
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// The serial number the agent presents.
        #[arg(long)]
        serial: String,
        /// The secret the agent presents (from its state file).
        #[arg(long, env = "ZENTRALE_AGENT_SECRET", hide_env_values = true)]
        secret: String,
        /// The heartbeat the kit announces; the silence check lasts about 3 × this.
        #[arg(long, default_value_t = 2)]
        heartbeat_s: u64,
    },
}

pub async fn run(args: ConformanceArgs) -> anyhow::Result<ExitCode> {
    match args.cmd {
        ConformanceCmd::Agent {
            listen,
            serial,
            secret,
            heartbeat_s,
        } => {
            let listener = tokio::net::TcpListener::bind(listen).await?;
            crate::say!(
                "conformance kit listening on http://{}: start the agent against it",
                listener.local_addr()?
            );
            let opts = zentrale_agent::conformance::agent::Options {
                listener,
                serial,
                secret,
                heartbeat_s: heartbeat_s.max(1),
            };
            let checks = zentrale_agent::conformance::agent::run(&opts).await;
            Ok(report(&checks))
        }
        ConformanceCmd::Server {
            conn,
            serial,
            token,
            api_token,
        } => {
            let dir = tempfile_dir()?;
            let cfg = config(&conn, &serial, dir.join("conformance-state.json"))?;
            let opts = zentrale_agent::conformance::server::Options {
                cfg,
                token,
                api_token,
            };
            let checks = zentrale_agent::conformance::server::run(&opts).await;
            let _ = std::fs::remove_dir_all(&dir);
            Ok(report(&checks))
        }
    }
}

/// Prints every rule; exit 1 when one failed.
fn report(checks: &[zentrale_agent::conformance::Check]) -> ExitCode {
    for c in checks {
        crate::say!("{}", c.line());
    }
    if zentrale_agent::conformance::all_passed(checks) {
        crate::say!("conformance: every checked rule holds");
        ExitCode::SUCCESS
    } else {
        crate::complain!("conformance: rules FAILED (see FAIL above)");
        ExitCode::from(1)
    }
}

/// A private directory for the kit's credential.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "zentrale-conformance-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
