//! `zentrale conformance server`: the conformance kit's checks of a control center, printed
//! rule by rule; exits 1 when a rule fails.

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
}

pub async fn run(args: ConformanceArgs) -> anyhow::Result<ExitCode> {
    match args.cmd {
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
            for c in &checks {
                crate::say!("{}", c.line());
            }
            let _ = std::fs::remove_dir_all(&dir);
            if zentrale_agent::conformance::all_passed(&checks) {
                crate::say!("conformance: every checked rule holds");
                Ok(ExitCode::SUCCESS)
            } else {
                crate::complain!("conformance: rules FAILED (see FAIL above)");
                Ok(ExitCode::from(1))
            }
        }
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
