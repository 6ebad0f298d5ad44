//! `zentrale demo`: a running control center with a demo company, an administrator and five
//! systems, four of them paired with simulated PBXes through the real device protocol.

use anyhow::Context;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_agent::state::AgentState;
use zentrale_agent::{AgentConfig, AgentStatus};
use zentrale_server::auth::CurrentUser;
use zentrale_server::systems::{service as systems, store as system_store};
use zentrale_server::users::{service as users, store as user_store};
use zentrale_server::{AppState, Clock, Config};

#[derive(Args)]
pub struct DemoArgs {
    /// Address and port to listen on.
    #[arg(long, env = "ZENTRALE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory for the demo's database and the simulated PBXes' state.
    #[arg(long, env = "ZENTRALE_DATA_DIR", default_value = "./zentrale-demo")]
    data_dir: PathBuf,
}

const COMPANY: &str = "Demo Telecom GmbH";
const ADMIN: &str = "admin@demo.example";
const SYSTEMS: [(&str, &str); 5] = [
    ("Bäckerei Huber – Filiale Nord", "DEMO000001"),
    ("Kanzlei Schmidt & Partner", "DEMO000002"),
    ("Autohaus Weber", "DEMO000003"),
    ("Praxis Dr. Yilmaz", "DEMO000004"),
    ("Hotel Seeblick", "DEMO000005"),
];

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mut config = Config::new(&args.data_dir);
    config.listen = args.listen;
    let firmware = crate::demo_firmware::prepare(&args.data_dir.join("firmware"))?;
    config.firmware_keys = vec![firmware.public_key.clone()];
    let st = zentrale_server::start(config, Clock::System).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (is another demo running? try --listen 127.0.0.1:8081)",
                args.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    tracing::info!("Zentrale demo listening on {url}");
    // The PBXes' web interfaces (remote configuration) on a port of their own.
    let remote = tokio::net::TcpListener::bind((addr.ip(), 0)).await?;
    tracing::info!(
        "remote configuration on http://<session>.localhost:{} (simulated PBX password: {})",
        remote.local_addr()?.port(),
        zentrale_agent::pbx::web_sim::DEFAULT_ADMIN_PASSWORD
    );
    let server_stop = CancellationToken::new();
    let server = {
        let (st, stop) = (st.clone(), server_stop.clone());
        tokio::spawn(async move {
            zentrale_server::serve_with_remote(st, listener, Some(remote), async move {
                stop.cancelled().await
            })
            .await
        })
    };

    let password = zentrale_server::ids::new_secret()[..16].to_owned();
    let admin = ensure_admin(&st, &password).await?;
    crate::demo_firmware::store(
        &st,
        &firmware,
        &zentrale_server::context::Ctx::from(admin.clone()),
    )
    .await?;
    let agents_stop = CancellationToken::new();
    let mut agents = tokio::task::JoinSet::new();
    let mut pending = None;
    for (i, (name, serial)) in SYSTEMS.iter().enumerate() {
        let sys = ensure_system(&st, &admin, name, serial).await?;
        let state_file = args.data_dir.join("agents").join(format!("{serial}.json"));
        if i == SYSTEMS.len() - 1 {
            pending = Some((
                serial.to_string(),
                sys.token.clone().unwrap_or_default(),
                state_file,
            ));
            continue;
        }
        let mut cfg = AgentConfig::new(url.parse()?, *serial, state_file.clone());
        cfg.backoff_cap = Duration::from_secs(10);
        cfg.firmware_keys = vec![firmware.public_key.clone()];
        let token = if AgentState::load(&state_file)?.is_some() && sys.secret_hash.is_some() {
            None
        } else {
            Some(fresh_token(&st, &admin, &sys.id).await?)
        };
        let pbx = Arc::new(SimulatedPbx::new(serial, i as u64));
        pbx.set_lively(true);
        // A week of call data to look at, retrieved at the first run of the schedule.
        pbx.update_calls(|c| c.history_days = 7);
        zentrale_server::calls::store::due_now(&st.db, &sys.id.to_string(), st.clock.now_ms())
            .await?;
        if i != 2 {
            backfill_monitoring(&st, &sys.id, &pbx).await?;
        }
        if i == 2 {
            // One PBX without active maintenance, to show that state.
            pbx.update(|s| s.maintenance = false);
        }
        let (tx, _rx) = watch::channel(AgentStatus::Starting);
        let stop = agents_stop.clone();
        agents.spawn(async move { zentrale_agent::run(cfg, pbx, token, tx, stop).await });
    }

    crate::say!();
    crate::say!("  Zentrale demo is running at {url}");
    crate::say!("  Log in as {ADMIN} with password {password}");
    crate::say!("  Data directory: {}", args.data_dir.display());
    crate::say!("  4 simulated PBXes are paired; the fifth waits for its confirmation code:");
    if let Some((serial, token, state_file)) = pending {
        // The binary's real path, so the line works as printed after `cargo run` too.
        let exe = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "zentrale".into());
        crate::say!(
            "    {exe} agent --server {url} --serial {serial} --token {token} --state-file {}",
            state_file.display()
        );
    }
    crate::say!(
        "  Firmware {} (signed with the demo key the simulated PBXes trust) is ready to try",
        crate::demo_firmware::VERSION
    );
    crate::say!("  under a system's \"Update including restart\".");
    crate::say!("  Press Ctrl-C to stop.");
    crate::say!();
    tracing::info!("demo ready; press Ctrl-C to stop");

    tokio::select! {
        _ = crate::shutdown_signal() => {}
        r = async { while let Some(r) = agents.join_next().await { if let Ok(Err(e)) = r { crate::complain!("demo agent stopped: {e}"); } } std::future::pending::<()>().await } => r,
    }
    agents_stop.cancel();
    while agents.join_next().await.is_some() {}
    server_stop.cancel();
    server.await??;
    Ok(())
}

async fn ensure_admin(st: &AppState, password: &str) -> anyhow::Result<CurrentUser> {
    if zentrale_server::companies::store::by_name(&st.db, COMPANY)
        .await?
        .is_none()
    {
        zentrale_server::companies::service::add(st, COMPANY).await?;
    }
    let user = match user_store::user_by_email(&st.db, ADMIN).await? {
        Some(u) => {
            users::set_password(st, &u.id, password).await?;
            u
        }
        None => users::add_user(st, COMPANY, ADMIN, password).await?,
    };
    Ok(CurrentUser::from(user))
}

async fn ensure_system(
    st: &AppState,
    admin: &CurrentUser,
    name: &str,
    serial: &str,
) -> anyhow::Result<system_store::SystemRow> {
    let mine = system_store::owned_by(&st.db, &admin.id).await?;
    if let Some(s) = mine.into_iter().find(|s| s.serial == serial) {
        let expired = s.token_expires_at.is_none_or(|t| t <= st.clock.now_ms());
        if s.secret_hash.is_none() && (s.token.is_none() || expired || s.token_used_at.is_some()) {
            fresh_token(st, admin, &s.id).await?;
            return system_store::by_id(&st.db, &s.id)
                .await?
                .context("system vanished");
        }
        return Ok(s);
    }
    let ctx = zentrale_server::context::Ctx::from(admin.clone());
    Ok(systems::create(st, &ctx, name, serial).await?)
}

/// Fills the last 7 days of monitoring history of a demo PBX (once), so the charts show
/// something at the first start: one minute roll-up per minute from the simulated PBX's own
/// load curve, then the hourly roll-ups from those.
async fn backfill_monitoring(st: &AppState, id: &str, pbx: &SimulatedPbx) -> anyhow::Result<()> {
    use zentrale_server::monitoring::{HOUR, MINUTE, store};
    let now = st.clock.now_ms();
    if !store::rollups(&st.db, id, HOUR, now - 7 * 24 * HOUR, now)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let start = (now - 7 * 24 * HOUR) / HOUR * HOUR;
    let end = now / MINUTE * MINUTE;
    let mut minutes = std::collections::HashMap::new();
    let mut t = start;
    while t < end {
        if let Some((cpu, mem)) = pbx.sample(t) {
            minutes.insert((id.to_owned(), t), store::Agg::one(cpu.into(), mem.into()));
        }
        t += MINUTE;
        if minutes.len() >= 1440 || t >= end {
            store::write_batch(&st.db, &[], &minutes).await?;
            minutes.clear();
        }
    }
    store::rollup_hours(&st.db, start, end / HOUR * HOUR).await?;
    Ok(())
}

/// Renews the system's token and returns it.
async fn fresh_token(
    st: &AppState,
    admin: &CurrentUser,
    id: &zentrale_server::ids::SystemId,
) -> anyhow::Result<String> {
    let cap = zentrale_server::access::system(st, admin, id)
        .await?
        .manager()?;
    let ctx = zentrale_server::context::Ctx::from(admin.clone());
    systems::renew_token(st, &ctx, cap).await?;
    let s = system_store::by_id(&st.db, id)
        .await?
        .context("system vanished")?;
    s.token.context("no token after renewal")
}
