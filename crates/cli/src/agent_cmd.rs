//! `zentrale agent`: the PBX side, with a simulated COMtrexx behind it.

use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use url::Url;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_agent::{AgentConfig, AgentStatus, Outcome};
use zentrale_protocol::FirmwareVersion;

#[derive(Args, Clone)]
pub struct ConnArgs {
    /// Base URL of the control center, e.g. https://zentrale.example.com.
    #[arg(long, env = "ZENTRALE_SERVER")]
    pub server: Option<Url>,
    /// Proxy server for online services (HTTP CONNECT), e.g. http://proxy.local:3128.
    #[arg(long, env = "ZENTRALE_PROXY")]
    pub proxy: Option<Url>,
    /// CA certificate(s), PEM, to trust in addition to the system's roots.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// Allow plain http:// to a server that is not on loopback (test setups only).
    #[arg(long)]
    pub allow_insecure: bool,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AgentArgs {
    #[command(subcommand)]
    cmd: Option<AgentCmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// The PBX's serial number.
    #[arg(long)]
    serial: Option<String>,
    /// Confirmation code from the control center; needed for the first start only.
    #[arg(long)]
    token: Option<String>,
    /// Where the agent keeps its credential.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// Firmware version the simulated PBX reports.
    #[arg(long, default_value = "2.6.2")]
    firmware: FirmwareVersion,
    /// Simulate a PBX without active maintenance.
    #[arg(long)]
    no_maintenance: bool,
    /// Seed of the simulated PBX's values.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Public key (minisign, base64) whose firmware signatures the PBX accepts; repeatable.
    #[arg(
        long = "firmware-key",
        env = "ZENTRALE_FIRMWARE_KEYS",
        value_delimiter = ','
    )]
    firmware_keys: Vec<String>,
    /// Simulate a PBX on which remote backup is not set up (no backup password).
    #[arg(long)]
    no_backup_password: bool,
    /// Calls the simulated PBX records per hour (0: none).
    #[arg(long, default_value_t = 120)]
    calls_per_hour: u32,
    /// Days of call history before today the simulated PBX keeps (backfill).
    #[arg(long, default_value_t = 0)]
    call_history_days: u32,
}

#[derive(Subcommand)]
enum AgentCmd {
    /// Delete this PBX's access on the control center ("delete access" on the PBX side).
    Revoke {
        /// Base URL of the control center.
        #[arg(long = "server", id = "revoke_server", env = "ZENTRALE_SERVER")]
        server: Url,
        /// Proxy server for online services (HTTP CONNECT).
        #[arg(long = "proxy", id = "revoke_proxy", env = "ZENTRALE_PROXY")]
        proxy: Option<Url>,
        /// CA certificate(s), PEM, to trust in addition to the system's roots.
        #[arg(long = "ca-file", id = "revoke_ca_file")]
        ca_file: Option<PathBuf>,
        /// Allow plain http:// to a server that is not on loopback.
        #[arg(long = "allow-insecure", id = "revoke_allow_insecure")]
        allow_insecure: bool,
        /// The agent's state file.
        #[arg(long = "state-file", id = "revoke_state_file")]
        state_file: PathBuf,
    },
}

pub fn config(conn: &ConnArgs, serial: &str, state_file: PathBuf) -> anyhow::Result<AgentConfig> {
    let server = conn
        .server
        .clone()
        .context("give the control center's URL with --server")?;
    let mut cfg = AgentConfig::new(server, serial, state_file);
    cfg.proxy = conn.proxy.clone();
    cfg.ca_file = conn.ca_file.clone();
    cfg.allow_insecure = conn.allow_insecure;
    Ok(cfg)
}

pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    if let Some(AgentCmd::Revoke {
        server,
        proxy,
        ca_file,
        allow_insecure,
        state_file,
    }) = args.cmd
    {
        let conn = ConnArgs {
            server: Some(server),
            proxy,
            ca_file,
            allow_insecure,
        };
        let state = zentrale_agent::state::AgentState::load(&state_file)?
            .context("this PBX is not paired (no credential in the state file)")?;
        zentrale_agent::revoke(&config(&conn, &state.serial, state_file)?).await?;
        crate::say!("access for the control center deleted; the credential is forgotten");
        return Ok(());
    }
    let a = args.run;
    let serial = a
        .serial
        .context("give the PBX's serial number with --serial")?;
    let state_file = a
        .state_file
        .context("give the agent's state file with --state-file")?;
    let mut cfg = config(&a.conn, &serial, state_file)?;
    cfg.firmware_keys = a.firmware_keys.clone();
    let pbx = SimulatedPbx::new(&serial.to_uppercase(), a.seed);
    pbx.update(|s| {
        s.firmware = a.firmware;
        s.maintenance = !a.no_maintenance;
    });
    if a.no_backup_password {
        pbx.update_backup(|b| b.password = None);
    }
    pbx.update_calls(|c| {
        c.per_hour = a.calls_per_hour;
        c.history_days = a.call_history_days;
    });
    let stop = CancellationToken::new();
    let (status, mut rx) = watch::channel(AgentStatus::Starting);
    let stopper = stop.clone();
    tokio::spawn(async move {
        crate::shutdown_signal().await;
        stopper.cancel();
    });
    tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let s = rx.borrow().clone();
            crate::complain!("agent: {s:?}");
        }
    });
    let outcome = zentrale_agent::run(cfg, Arc::new(pbx), a.token, status, stop).await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    match outcome {
        Outcome::Stopped => Ok(()),
        Outcome::Revoked(reason) => {
            anyhow::bail!("access revoked ({reason}); confirm access again with a new token")
        }
        Outcome::Replaced => {
            anyhow::bail!("another agent with this credential took over the connection")
        }
    }
}
