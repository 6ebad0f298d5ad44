//! Settings of a control-center node. [`settings::Settings`] is the one source of defaults
//! and the configuration file's format; `Config` is what the node runs with (see
//! `zentrale serve --help` and docs/configuration.md).

pub mod secret;
pub mod settings;

pub use secret::Secret;
pub use settings::{DEFAULT_MAINTENANCE_URL, Settings};

use std::net::SocketAddr;
use std::path::PathBuf;
use zentrale_protocol::FirmwareVersion;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP(S) listener binds (the CLI binds it; tests bind port 0).
    pub listen: SocketAddr,
    /// Directory for the SQLite database, blobs and generated keys.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; `None` means `sqlite://<data_dir>/zentrale.sqlite`.
    pub database_url: Option<String>,
    /// PEM certificate chain and private key: when both are set the server speaks TLS itself.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Interval of the server's WebSocket pings; a device silent for 3 intervals is offline.
    pub heartbeat_s: u64,
    /// How long a pairing token (confirmation code) stays valid.
    pub token_validity_s: i64,
    /// A session unused this long ends.
    pub session_idle_s: i64,
    /// A session ends this long after login, used or not.
    pub session_absolute_s: i64,
    /// Paired PBXes below this firmware are shown as "needs a firmware update".
    pub min_managed_firmware: FirmwareVersion,
    /// Alert thresholds.
    pub alerts: AlertConfig,
    /// PBXes that record system data send a CPU/memory sample this often.
    pub monitoring_interval_ms: u64,
    /// Single sign-on with OpenID Connect; `None`: local accounts only.
    pub oidc: Option<OidcConfig>,
    /// The vendor's page about maintenance contracts, linked wherever a function needs
    /// active maintenance.
    pub maintenance_url: String,
    /// Bearer token that opens `/metrics` to non-loopback clients; `None`: loopback only.
    pub metrics_token: Option<Secret>,
    /// A client must send its request headers within this time, else the connection closes.
    pub header_timeout_s: u64,
    /// A request body must arrive within this time, else the request fails with 408.
    pub body_timeout_s: u64,
    /// Audit-log entries older than this many days are removed.
    pub audit_retention_days: i64,
    /// The operator's data protection notice and terms of use (Markdown); the shipped
    /// texts when `None`.
    pub legal_privacy_file: Option<PathBuf>,
    pub legal_terms_file: Option<PathBuf>,
    /// This node's name among several on one database; `None`: the one stored in the data
    /// directory (`node-id`, made at the first start).
    pub node_id: Option<String>,
    /// How often the jobs (monitoring roll-ups, alert rules, retention) run, on one node.
    pub job_interval_s: u64,
    /// Where bulk data is kept: `file://…` or `s3://bucket/prefix`; `None`: `blobs` in the
    /// data directory.
    pub blob_url: Option<String>,
    /// Public keys (minisign, base64) that firmware images must be signed with; none: no
    /// image can be uploaded.
    pub firmware_keys: Vec<String>,
    /// This installation's public base URL, for links in e-mails (`None`: the listen address).
    pub public_url: Option<String>,
    /// Where the second listener (the PBXes' web interfaces) binds; `None`: next to
    /// `listen` (its port + 1).
    pub remote_listen: Option<SocketAddr>,
    /// The origin browsers use for a remote session, `{session}` in the host name;
    /// `None`: `http(s)://{session}.localhost:<port of remote_listen>`.
    pub remote_url: Option<String>,
    /// A remote session unused this long ends.
    pub remote_idle_s: i64,
    /// A remote session ends this long after it was opened.
    pub remote_absolute_s: i64,
    /// Several nodes joined through NATS; `None`: this node alone (the embedded default).
    pub cluster: Option<ClusterConfig>,
}

/// How a node joins a cluster (docs/operations.md, "A cluster of nodes").
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// NATS server(s), comma-separated.
    pub nats_url: String,
    /// First token of every subject.
    pub prefix: String,
    /// How other nodes reach this node's listener; `None`: the address it bound.
    pub node_url: Option<String>,
}

/// OpenID Connect settings.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// Issuer URL; its `/.well-known/openid-configuration` is read at the first login.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// This installation's public base URL (`https://zentrale.example.com`); the redirect URI
    /// registered at the provider is `<public_url>/auth/oidc/callback`.
    pub public_url: String,
    /// Take the company's name from this ID-token claim (e.g. `org`) …
    pub company_claim: Option<String>,
    /// … or from the e-mail domain: `(domain, company name)` pairs.
    pub domains: Vec<(String, String)>,
}

impl Config {
    /// Defaults for a node whose data lives in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Settings {
            data_dir: data_dir.into(),
            ..Settings::default()
        }
        .build()
    }

    /// The blob store URL in effect.
    pub fn blob_url(&self) -> String {
        match &self.blob_url {
            Some(url) => url.clone(),
            None => {
                let dir = std::path::absolute(self.data_dir.join("blobs"))
                    .unwrap_or_else(|_| self.data_dir.join("blobs"));
                url::Url::from_directory_path(&dir)
                    .map(|u| u.to_string())
                    .unwrap_or_else(|()| format!("file://{}", dir.display()))
            }
        }
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}",
                self.data_dir.join("zentrale.sqlite").display()
            ),
        }
    }
}

/// When the server's alert rules fire.
#[derive(Debug, Clone)]
pub struct AlertConfig {
    /// A paired PBX offline longer than this is alerted.
    pub offline_after_s: i64,
    /// CPU load (%) that counts as high …
    pub cpu_pct: f64,
    /// … memory use (%) that counts as high …
    pub mem_pct: f64,
    /// … when every minute average of this many minutes is at or above it.
    pub high_for_min: i64,
    /// Maintenance ending within this many days is alerted.
    pub maintenance_days: i64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Config::new(".").alerts
    }
}
