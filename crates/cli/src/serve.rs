//! `zentrale serve` and `zentrale migrate`.

use anyhow::Context;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use zentrale_server::{Clock, Config};

/// Where the data lives.
#[derive(Args, Clone)]
pub struct DbArgs {
    /// Directory for the SQLite database and other local data.
    #[arg(long, env = "ZENTRALE_DATA_DIR", default_value = "./zentrale-data")]
    pub data_dir: PathBuf,
    /// Database URL: sqlite://PATH (default: zentrale.sqlite in the data directory) or postgres://USER@HOST/DB.
    #[arg(long, env = "ZENTRALE_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DbArgs {
    pub fn config(&self) -> Config {
        let mut c = Config::new(&self.data_dir);
        c.database_url = self.database_url.clone();
        c
    }
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "ZENTRALE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    /// PEM certificate chain: with --tls-key, the server speaks HTTPS itself.
    #[arg(long, env = "ZENTRALE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "ZENTRALE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds between pings to each PBX; a PBX silent for three intervals counts as offline.
    #[arg(long, env = "ZENTRALE_HEARTBEAT_S", default_value_t = 10)]
    pub heartbeat_s: u64,
    /// Idle timeout of a login session, in seconds.
    #[arg(long, env = "ZENTRALE_SESSION_IDLE_S", default_value_t = 8 * 3600)]
    pub session_idle_s: i64,
    /// Absolute lifetime of a login session, in seconds.
    #[arg(long, env = "ZENTRALE_SESSION_ABSOLUTE_S", default_value_t = 7 * 24 * 3600)]
    pub session_absolute_s: i64,
    /// Paired PBXes below this firmware are shown as needing a firmware update.
    #[arg(long, env = "ZENTRALE_MIN_MANAGED_FIRMWARE", default_value = "2.4.4")]
    pub min_managed_firmware: zentrale_protocol::FirmwareVersion,
    /// Milliseconds between the CPU/memory samples of PBXes that record system data.
    #[arg(
        long,
        env = "ZENTRALE_MONITORING_INTERVAL_MS",
        default_value_t = 10_000
    )]
    pub monitoring_interval_ms: u64,
    /// Alert when a paired PBX has been offline longer than this many minutes.
    #[arg(long, env = "ZENTRALE_ALERT_OFFLINE_MIN", default_value_t = 10)]
    pub alert_offline_min: i64,
    /// Alert when CPU load stays at or above this percentage …
    #[arg(long, env = "ZENTRALE_ALERT_CPU_PCT", default_value_t = 90.0)]
    pub alert_cpu_pct: f64,
    /// … or memory use at or above this percentage …
    #[arg(long, env = "ZENTRALE_ALERT_MEM_PCT", default_value_t = 90.0)]
    pub alert_mem_pct: f64,
    /// … for this many minutes.
    #[arg(long, env = "ZENTRALE_ALERT_HIGH_MINUTES", default_value_t = 5)]
    pub alert_high_minutes: i64,
    /// Alert when maintenance ends within this many days.
    #[arg(long, env = "ZENTRALE_ALERT_MAINTENANCE_DAYS", default_value_t = 30)]
    pub alert_maintenance_days: i64,
    /// Public base URL of this installation (for single sign-on redirects), e.g. https://zentrale.example.com.
    #[arg(long, env = "ZENTRALE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// OpenID Connect issuer URL; enables single sign-on.
    #[arg(long, env = "ZENTRALE_OIDC_ISSUER", requires_all = ["oidc_client_id", "oidc_client_secret", "public_url"])]
    pub oidc_issuer: Option<String>,
    /// OpenID Connect client id registered at the provider.
    #[arg(long, env = "ZENTRALE_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// OpenID Connect client secret (prefer the environment variable).
    #[arg(long, env = "ZENTRALE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// Put single sign-on users into the company named by this ID-token claim (e.g. org).
    #[arg(long, env = "ZENTRALE_OIDC_COMPANY_CLAIM")]
    pub oidc_company_claim: Option<String>,
    /// Or by e-mail domain: DOMAIN=COMPANY, repeatable (e.g. mueller-it.example=Müller IT).
    #[arg(long = "oidc-domain", value_parser = parse_domain)]
    pub oidc_domains: Vec<(String, String)>,
    /// The vendor's page about maintenance, linked wherever a function needs active maintenance.
    #[arg(long, env = "ZENTRALE_MAINTENANCE_URL", default_value = zentrale_server::config::DEFAULT_MAINTENANCE_URL)]
    pub maintenance_url: String,
    /// Bearer token that opens /metrics to other hosts than loopback (prefer the environment variable).
    #[arg(long, env = "ZENTRALE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Seconds a client has to send its request headers (and finish the TLS handshake).
    #[arg(long, env = "ZENTRALE_HEADER_TIMEOUT_S", default_value_t = 10)]
    pub header_timeout_s: u64,
    /// Seconds a request body may pause before the request fails with 408.
    #[arg(long, env = "ZENTRALE_BODY_TIMEOUT_S", default_value_t = 30)]
    pub body_timeout_s: u64,
}

fn parse_domain(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((d, c)) if !d.trim().is_empty() && !c.trim().is_empty() => {
            Ok((d.trim().to_lowercase(), c.trim().to_owned()))
        }
        _ => Err(format!("'{s}' is not DOMAIN=COMPANY")),
    }
}

impl ServeArgs {
    pub fn config(&self) -> Config {
        let mut c = self.db.config();
        c.listen = self.listen;
        c.tls_cert = self.tls_cert.clone();
        c.tls_key = self.tls_key.clone();
        c.heartbeat_s = self.heartbeat_s;
        c.session_idle_s = self.session_idle_s;
        c.session_absolute_s = self.session_absolute_s;
        c.min_managed_firmware = self.min_managed_firmware;
        c.monitoring_interval_ms = self.monitoring_interval_ms.max(100);
        c.metrics_token = self.metrics_token.clone().filter(|t| !t.is_empty());
        c.maintenance_url = self.maintenance_url.clone();
        c.header_timeout_s = self.header_timeout_s.max(1);
        c.body_timeout_s = self.body_timeout_s.max(1);
        c.alerts = zentrale_server::config::AlertConfig {
            offline_after_s: self.alert_offline_min.max(1) * 60,
            cpu_pct: self.alert_cpu_pct,
            mem_pct: self.alert_mem_pct,
            high_for_min: self.alert_high_minutes.max(1),
            maintenance_days: self.alert_maintenance_days.max(0),
        };
        if let (Some(issuer), Some(id), Some(secret), Some(public)) = (
            &self.oidc_issuer,
            &self.oidc_client_id,
            &self.oidc_client_secret,
            &self.public_url,
        ) {
            c.oidc = Some(zentrale_server::config::OidcConfig {
                issuer: issuer.clone(),
                client_id: id.clone(),
                client_secret: secret.clone(),
                public_url: public.clone(),
                company_claim: self.oidc_company_claim.clone(),
                domains: self.oidc_domains.clone(),
            });
        }
        c
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.config();
    let listen = config.listen;
    let scheme = if config.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let st = zentrale_server::start(config, Clock::System).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!(
        "Zentrale listening on {scheme}://{}",
        listener.local_addr()?
    );
    zentrale_server::serve(st, listener, crate::shutdown_signal()).await?;
    Ok(())
}

pub async fn migrate(args: DbArgs) -> anyhow::Result<()> {
    let config = args.config();
    zentrale_server::db::Db::connect(&config.database_url()).await?;
    crate::say!("database schema is up to date");
    Ok(())
}
