//! `zentrale simulate`: N simulated PBXes in one process, for demos and load tests.

use crate::agent_cmd::{ConnArgs, config};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use zentrale_agent::AgentStatus;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_agent::state::AgentState;

#[derive(Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// How many PBXes to run.
    #[arg(long, default_value_t = 10)]
    count: usize,
    /// File of `SERIAL TOKEN` lines (space, tab or comma separated) for PBXes not paired yet.
    #[arg(long)]
    pair_from: Option<PathBuf>,
    /// Directory of the simulated PBXes' state files (one per serial).
    #[arg(long, default_value = "./zentrale-sim")]
    state_dir: PathBuf,
    /// Serial numbers are PREFIX000001, PREFIX000002, … unless the pair file names them.
    #[arg(long, default_value = "SIM")]
    prefix: String,
    /// Spread connections over local addresses FIRST-LAST, e.g. 127.0.0.2-127.0.0.50.
    #[arg(long, value_parser = parse_range)]
    source_addrs: Option<(std::net::Ipv4Addr, std::net::Ipv4Addr)>,
    /// Keep phones, trunks and events steady (no flapping, no PBX events).
    #[arg(long)]
    steady: bool,
    /// "Recording of system data" on every PBX (on), on none (off), or as the seed says (seed).
    #[arg(long, default_value = "seed", value_parser = ["on", "off", "seed"])]
    monitoring: String,
    /// Simulate PBXes on which remote backup is not set up (no backup password).
    #[arg(long)]
    no_backup_password: bool,
    /// Calls each simulated PBX records per hour (0: none).
    #[arg(long, default_value_t = 120)]
    calls_per_hour: u32,
    /// Days of call history before today each simulated PBX keeps (backfill).
    #[arg(long, default_value_t = 0)]
    call_history_days: u32,
    /// Pairings in flight at once (a fleet confirms its tokens over time, not in one instant).
    #[arg(long, default_value_t = 64)]
    pairing_concurrency: usize,
}

fn parse_range(s: &str) -> Result<(std::net::Ipv4Addr, std::net::Ipv4Addr), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("{s}: expected FIRST-LAST"))?;
    let a: std::net::Ipv4Addr = a.trim().parse().map_err(|e| format!("{a}: {e}"))?;
    let b: std::net::Ipv4Addr = b.trim().parse().map_err(|e| format!("{b}: {e}"))?;
    if u32::from(a) > u32::from(b) {
        return Err(format!("{s}: the first address is after the last"));
    }
    Ok((a, b))
}

/// `SERIAL TOKEN` pairs from a file; blank lines and `#` comments are skipped.
pub fn parse_pairs(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            let mut parts = l
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|p| !p.is_empty());
            match (parts.next(), parts.next()) {
                (Some(s), Some(t)) => Ok((s.to_uppercase(), t.to_owned())),
                _ => anyhow::bail!("line {}: expected `SERIAL TOKEN`", i + 1),
            }
        })
        .collect()
}

pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let pairs = match &args.pair_from {
        Some(p) => parse_pairs(
            &std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        )?,
        None => Vec::new(),
    };
    let mut plan: Vec<(String, Option<String>)> =
        pairs.into_iter().map(|(s, t)| (s, Some(t))).collect();
    let mut n = 1;
    while plan.len() < args.count {
        plan.push((format!("{}{n:06}", args.prefix.to_uppercase()), None));
        n += 1;
    }
    plan.truncate(args.count);
    std::fs::create_dir_all(&args.state_dir)?;
    let firmware = crate::demo_firmware::prepare(&args.state_dir.join("firmware"))?;
    crate::say!(
        "Firmware {} for the simulated PBXes: {} (signature {}).",
        crate::demo_firmware::VERSION,
        firmware.image.display(),
        firmware.signature.display()
    );
    crate::say!(
        "To offer it: start the server with --firmware-key {} and upload both under Operator › Firmware.",
        firmware.public_key
    );
    let stop = CancellationToken::new();
    let connected = Arc::new(AtomicUsize::new(0));
    let pairing = Arc::new(tokio::sync::Semaphore::new(args.pairing_concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (serial, token)) in plan.into_iter().enumerate() {
        let state_file = args.state_dir.join(format!("{serial}.json"));
        let token = if AgentState::load(&state_file)?.is_some() {
            None
        } else {
            token
        };
        if token.is_none() && AgentState::load(&state_file)?.is_none() {
            crate::complain!("{serial}: not paired and no token in --pair-from; skipped");
            continue;
        }
        let mut cfg = config(&args.conn, &serial, state_file)?;
        cfg.firmware_keys = vec![firmware.public_key.clone()];
        if let Some((first, last)) = args.source_addrs {
            let span = u32::from(last) - u32::from(first) + 1;
            cfg.local_addr =
                Some(std::net::Ipv4Addr::from(u32::from(first) + (i as u32 % span)).into());
        }
        let pbx = Arc::new(SimulatedPbx::new(&serial, i as u64));
        pbx.set_lively(!args.steady);
        if args.no_backup_password {
            pbx.update_backup(|b| b.password = None);
        }
        pbx.update_calls(|c| {
            c.per_hour = args.calls_per_hour;
            c.history_days = args.call_history_days;
        });
        match args.monitoring.as_str() {
            "on" => pbx.update(|s| s.monitoring_enabled = true),
            "off" => pbx.update(|s| s.monitoring_enabled = false),
            _ => {}
        }
        let (tx, mut rx) = watch::channel(AgentStatus::Starting);
        let stop = stop.clone();
        let connected = connected.clone();
        let pairing = pairing.clone();
        tasks.spawn(async move {
            // Pairs first, a limited number at a time; then runs with the saved credential.
            if let Some(t) = &token {
                let _turn = pairing.acquire().await;
                let info = pbx.info();
                match zentrale_agent::pair::pair(&cfg, t, &info.model, info.firmware).await {
                    Ok(cred) => {
                        if let Err(e) = cred.save(&cfg.state_file) {
                            return (serial, Err(e));
                        }
                    }
                    Err(e) => return (serial, Err(e)),
                }
            }
            let watcher = tokio::spawn(async move {
                let mut up = false;
                while rx.changed().await.is_ok() {
                    let now_up = *rx.borrow() == AgentStatus::Connected;
                    if now_up != up {
                        if now_up {
                            connected.fetch_add(1, Ordering::Relaxed);
                        } else {
                            connected.fetch_sub(1, Ordering::Relaxed);
                        }
                        up = now_up;
                    }
                }
            });
            let r = zentrale_agent::run(cfg, pbx, None, tx, stop).await;
            watcher.abort();
            (serial, r)
        });
    }
    let total = tasks.len();
    let report = {
        let connected = connected.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                crate::complain!(
                    "simulate: {}/{total} PBXes connected",
                    connected.load(Ordering::Relaxed)
                );
            }
        })
    };
    tokio::select! {
        _ = crate::shutdown_signal() => stop.cancel(),
        _ = async { while let Some(Ok((serial, r))) = tasks.join_next().await {
            match r {
                Ok(o) => crate::complain!("{serial}: {o:?}"),
                Err(e) => crate::complain!("{serial}: {e}"),
            }
        } } => {}
    }
    while let Some(res) = tasks.join_next().await {
        if let Ok((serial, Err(e))) = res {
            crate::complain!("{serial}: {e}");
        }
    }
    report.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_file_lines() {
        let p = parse_pairs("# serial token\nsim000001 AAAA-BBBB\n\nSIM000002,CCCC-DDDD\n")
            .unwrap_or_default();
        assert_eq!(
            p,
            [
                ("SIM000001".into(), "AAAA-BBBB".into()),
                ("SIM000002".into(), "CCCC-DDDD".into())
            ]
        );
        assert!(parse_pairs("only-serial").is_err());
    }
}
