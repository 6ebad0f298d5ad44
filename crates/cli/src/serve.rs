//! `zentrale serve` and `zentrale migrate`.

use anyhow::Context;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use zentrale_server::config::{Secret, Settings};
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

/// Every setting of `serve`. Each flag has a `ZENTRALE_*` variable; both override the
/// configuration file (`--config`), which overrides the defaults (shown in brackets).
#[derive(Args)]
pub struct ServeArgs {
    /// Configuration file (TOML; the same names as these flags, with `_` for `-`).
    #[arg(long, env = "ZENTRALE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the effective configuration (secrets masked) and exit.
    #[arg(long)]
    pub print_config: bool,
    /// Address and port to listen on [127.0.0.1:8080].
    #[arg(long, env = "ZENTRALE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory for the SQLite database and other local data [./zentrale-data].
    #[arg(long, env = "ZENTRALE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH [zentrale.sqlite in the data directory] or postgres://USER@HOST/DB.
    #[arg(long, env = "ZENTRALE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// PEM certificate chain: with --tls-key, the server speaks HTTPS itself.
    #[arg(long, env = "ZENTRALE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "ZENTRALE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Seconds between pings to each PBX; a PBX silent for three intervals counts as offline [10].
    #[arg(long, env = "ZENTRALE_HEARTBEAT_S")]
    pub heartbeat_s: Option<u64>,
    /// Idle timeout of a login session, in seconds [28800].
    #[arg(long, env = "ZENTRALE_SESSION_IDLE_S")]
    pub session_idle_s: Option<i64>,
    /// Absolute lifetime of a login session, in seconds [604800].
    #[arg(long, env = "ZENTRALE_SESSION_ABSOLUTE_S")]
    pub session_absolute_s: Option<i64>,
    /// Paired PBXes below this firmware are shown as needing a firmware update [2.4.4].
    #[arg(long, env = "ZENTRALE_MIN_MANAGED_FIRMWARE")]
    pub min_managed_firmware: Option<zentrale_protocol::FirmwareVersion>,
    /// Milliseconds between the CPU/memory samples of PBXes that record system data [10000].
    #[arg(long, env = "ZENTRALE_MONITORING_INTERVAL_MS")]
    pub monitoring_interval_ms: Option<u64>,
    /// Alert when a paired PBX has been offline longer than this many minutes [10].
    #[arg(long, env = "ZENTRALE_ALERT_OFFLINE_MIN")]
    pub alert_offline_min: Option<i64>,
    /// Alert when CPU load stays at or above this percentage … [90]
    #[arg(long, env = "ZENTRALE_ALERT_CPU_PCT")]
    pub alert_cpu_pct: Option<f64>,
    /// … or memory use at or above this percentage … [90]
    #[arg(long, env = "ZENTRALE_ALERT_MEM_PCT")]
    pub alert_mem_pct: Option<f64>,
    /// … for this many minutes [5].
    #[arg(long, env = "ZENTRALE_ALERT_HIGH_MINUTES")]
    pub alert_high_minutes: Option<i64>,
    /// Alert when maintenance ends within this many days [30].
    #[arg(long, env = "ZENTRALE_ALERT_MAINTENANCE_DAYS")]
    pub alert_maintenance_days: Option<i64>,
    /// Public base URL of this installation (for single sign-on redirects), e.g. https://zentrale.example.com.
    #[arg(long, env = "ZENTRALE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// OpenID Connect issuer URL; enables single sign-on.
    #[arg(long, env = "ZENTRALE_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// OpenID Connect client id registered at the provider.
    #[arg(long, env = "ZENTRALE_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// OpenID Connect client secret (prefer the environment variable or the file).
    #[arg(long, env = "ZENTRALE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// Put single sign-on users into the company named by this ID-token claim (e.g. org).
    #[arg(long, env = "ZENTRALE_OIDC_COMPANY_CLAIM")]
    pub oidc_company_claim: Option<String>,
    /// Or by e-mail domain: DOMAIN=COMPANY, repeatable (e.g. mueller-it.example=Müller IT).
    #[arg(long = "oidc-domain")]
    pub oidc_domains: Vec<String>,
    /// The vendor's page about maintenance, linked wherever a function needs active maintenance.
    #[arg(long, env = "ZENTRALE_MAINTENANCE_URL")]
    pub maintenance_url: Option<String>,
    /// Bearer token that opens /metrics to other hosts than loopback (prefer the environment variable).
    #[arg(long, env = "ZENTRALE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Seconds a client has to send its request headers (and finish the TLS handshake) [10].
    #[arg(long, env = "ZENTRALE_HEADER_TIMEOUT_S")]
    pub header_timeout_s: Option<u64>,
    /// Seconds a request body may pause before the request fails with 408 [30].
    #[arg(long, env = "ZENTRALE_BODY_TIMEOUT_S")]
    pub body_timeout_s: Option<u64>,
    /// Days the audit log keeps its entries [400].
    #[arg(long, env = "ZENTRALE_AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: Option<i64>,
    /// Markdown file with this installation's data protection notice (else the shipped one).
    #[arg(long, env = "ZENTRALE_LEGAL_PRIVACY_FILE")]
    pub legal_privacy_file: Option<std::path::PathBuf>,
    /// Markdown file with this installation's terms of use (else the shipped ones).
    #[arg(long, env = "ZENTRALE_LEGAL_TERMS_FILE")]
    pub legal_terms_file: Option<std::path::PathBuf>,
    /// This node's name when several nodes share one database [stored in DATA_DIR/node-id].
    #[arg(long, env = "ZENTRALE_NODE_ID")]
    pub node_id: Option<String>,
    /// Seconds between runs of the jobs (roll-ups, alert rules, retention); one node runs each [60].
    #[arg(long, env = "ZENTRALE_JOB_INTERVAL_S")]
    pub job_interval_s: Option<u64>,
    /// Where bulk data (backups, firmware, call records) is kept: file:///PATH or
    /// s3://BUCKET/PREFIX (endpoint and credentials from AWS_* variables) [DATA_DIR/blobs].
    #[arg(long, env = "ZENTRALE_BLOB_URL")]
    pub blob_url: Option<String>,
    /// Public key (minisign, base64) whose signatures firmware images must carry; repeat for
    /// several. Without one, firmware images cannot be uploaded.
    #[arg(
        long = "firmware-key",
        env = "ZENTRALE_FIRMWARE_KEYS",
        value_delimiter = ','
    )]
    pub firmware_keys: Vec<String>,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// How a node joins a cluster (a group of `serve`'s flags).
#[derive(Args)]
pub struct ClusterArgs {
    /// NATS server(s) joining this node to a cluster (nats://HOST:4222, comma-separated); needs PostgreSQL and a shared blob store.
    #[arg(long, env = "ZENTRALE_NATS_URL")]
    pub nats_url: Option<String>,
    /// First token of this cluster's NATS subjects [zentrale].
    #[arg(long, env = "ZENTRALE_NATS_PREFIX")]
    pub nats_prefix: Option<String>,
    /// How the other nodes reach this node's listener [the address --listen bound].
    #[arg(long, env = "ZENTRALE_NODE_URL")]
    pub node_url: Option<String>,
}

/// Remote configuration's settings (a group of `serve`'s flags).
#[derive(Args)]
pub struct RemoteArgs {
    /// Second listener: the PBXes' web interfaces for remote configuration [--listen's port + 1].
    #[arg(long, env = "ZENTRALE_REMOTE_LISTEN")]
    pub remote_listen: Option<SocketAddr>,
    /// Origin browsers use for remote sessions, {session} as the host's first label [http://{session}.localhost:<port>].
    #[arg(long, env = "ZENTRALE_REMOTE_URL")]
    pub remote_url: Option<String>,
    /// A remote-configuration session unused this many seconds ends [900].
    #[arg(long, env = "ZENTRALE_REMOTE_IDLE_S")]
    pub remote_idle_s: Option<i64>,
    /// A remote-configuration session ends this many seconds after it was opened [7200].
    #[arg(long, env = "ZENTRALE_REMOTE_ABSOLUTE_S")]
    pub remote_absolute_s: Option<i64>,
}

impl ServeArgs {
    /// Defaults, then the file, then variables and flags.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut s = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the configuration file {}", path.display())
                })?;
                Settings::from_toml(&text)
                    .map_err(|e| anyhow::anyhow!("configuration file {}: {e}", path.display()))?
            }
            None => Settings::default(),
        };
        macro_rules! over {
            ($($field:ident),*) => {$(
                if let Some(v) = self.$field.clone() {
                    s.$field = v;
                }
            )*};
        }
        over!(
            listen,
            data_dir,
            heartbeat_s,
            session_idle_s,
            session_absolute_s,
            min_managed_firmware,
            monitoring_interval_ms,
            alert_offline_min,
            alert_cpu_pct,
            alert_mem_pct,
            alert_high_minutes,
            alert_maintenance_days,
            maintenance_url,
            header_timeout_s,
            body_timeout_s,
            audit_retention_days,
            job_interval_s
        );
        macro_rules! over_opt {
            ($($field:ident),*) => {$(
                if self.$field.is_some() {
                    s.$field = self.$field.clone();
                }
            )*};
        }
        over_opt!(
            database_url,
            tls_cert,
            tls_key,
            public_url,
            oidc_issuer,
            oidc_client_id,
            oidc_company_claim,
            legal_privacy_file,
            legal_terms_file,
            node_id,
            blob_url
        );
        if let Some(v) = &self.oidc_client_secret {
            s.oidc_client_secret = Some(Secret::new(v.clone()));
        }
        if let Some(v) = &self.metrics_token {
            s.metrics_token = Some(Secret::new(v.clone()));
        }
        if !self.oidc_domains.is_empty() {
            s.oidc_domains = self.oidc_domains.clone();
        }
        if !self.firmware_keys.is_empty() {
            s.firmware_keys = self.firmware_keys.clone();
        }
        let r = &self.remote;
        if r.remote_listen.is_some() {
            s.remote_listen = r.remote_listen;
        }
        if r.remote_url.is_some() {
            s.remote_url = r.remote_url.clone();
        }
        if let Some(v) = r.remote_idle_s {
            s.remote_idle_s = v;
        }
        if let Some(v) = r.remote_absolute_s {
            s.remote_absolute_s = v;
        }
        let c = &self.cluster;
        if c.nats_url.is_some() {
            s.nats_url = c.nats_url.clone();
        }
        if let Some(v) = &c.nats_prefix {
            s.nats_prefix = v.clone();
        }
        if c.node_url.is_some() {
            s.node_url = c.node_url.clone();
        }
        Ok(s)
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.settings()?;
    if args.print_config {
        crate::say!("{}", settings.to_toml_masked());
        return Ok(());
    }
    let config = settings
        .into_config()
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let listen = config.listen;
    let scheme = if config.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let st = zentrale_server::start(config, Clock::System).await?;
    let listener = zentrale_server::listener::bind(listen)
        .with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!(
        "Zentrale listening on {scheme}://{}",
        listener.local_addr()?
    );
    // The remote origin: as configured, else next to --listen (its port + 1; any port when
    // --listen takes any).
    let here = listener.local_addr()?;
    let addr = st.config.remote_listen.unwrap_or_else(|| {
        let port = match listen.port() {
            0 => 0,
            p => p.saturating_add(1),
        };
        std::net::SocketAddr::new(here.ip(), port)
    });
    let remote = Some(
        tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (remote configuration)"))?,
    );
    zentrale_server::serve_with_remote(st, listener, remote, crate::shutdown_signal()).await?;
    Ok(())
}

pub async fn migrate(args: DbArgs) -> anyhow::Result<()> {
    let config = args.config();
    zentrale_server::db::Db::connect(&config.database_url()).await?;
    crate::say!("database schema is up to date");
    Ok(())
}
