//! The settings of `zentrale serve` as one flat list: the one source of their defaults, the
//! format of the configuration file (TOML, the same names as the flags with `_` for `-`),
//! and the checks that turn them into a [`Config`]. Precedence: defaults, then the file,
//! then `ZENTRALE_*` variables, then flags (the CLI applies the last two).

use super::secret::Secret;
use super::{AlertConfig, Config, OidcConfig};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use zentrale_protocol::FirmwareVersion;

/// Where "COMtrexx maintenance" links to unless configured otherwise.
pub const DEFAULT_MAINTENANCE_URL: &str = "https://www.auerswald.de/";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub heartbeat_s: u64,
    pub session_idle_s: i64,
    pub session_absolute_s: i64,
    pub min_managed_firmware: FirmwareVersion,
    pub monitoring_interval_ms: u64,
    pub alert_offline_min: i64,
    pub alert_cpu_pct: f64,
    pub alert_mem_pct: f64,
    pub alert_high_minutes: i64,
    pub alert_maintenance_days: i64,
    pub public_url: Option<String>,
    pub oidc_issuer: Option<String>,
    pub oidc_client_id: Option<String>,
    pub oidc_client_secret: Option<Secret>,
    pub oidc_company_claim: Option<String>,
    /// `DOMAIN=COMPANY` pairs.
    pub oidc_domains: Vec<String>,
    pub maintenance_url: String,
    pub metrics_token: Option<Secret>,
    pub header_timeout_s: u64,
    pub body_timeout_s: u64,
    pub audit_retention_days: i64,
    pub legal_privacy_file: Option<PathBuf>,
    pub legal_terms_file: Option<PathBuf>,
    pub node_id: Option<String>,
    pub job_interval_s: u64,
    pub blob_url: Option<String>,
    /// Public keys (minisign, base64) firmware images must be signed with.
    pub firmware_keys: Vec<String>,
    /// The second listener: the PBXes' web interfaces (remote configuration).
    pub remote_listen: Option<SocketAddr>,
    /// The browser-facing origin of remote sessions, `{session}` standing for the session's
    /// id in the host name (e.g. `https://{session}.remote.example.com`).
    pub remote_url: Option<String>,
    pub remote_idle_s: i64,
    pub remote_absolute_s: i64,
    /// NATS server(s) that join this node to a cluster (`nats://host:4222`, comma-separated).
    pub nats_url: Option<String>,
    /// First token of every NATS subject this cluster uses (several clusters, or tests, on
    /// one NATS server keep apart).
    pub nats_prefix: String,
    /// How the other nodes reach this node's listener (tunnels held here); default: the
    /// address `listen` bound.
    pub node_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./zentrale-data"),
            database_url: None,
            tls_cert: None,
            tls_key: None,
            heartbeat_s: 10,
            session_idle_s: 8 * 3600,
            session_absolute_s: 7 * 24 * 3600,
            min_managed_firmware: zentrale_protocol::MIN_PAIRING_FIRMWARE,
            monitoring_interval_ms: 10_000,
            alert_offline_min: 10,
            alert_cpu_pct: 90.0,
            alert_mem_pct: 90.0,
            alert_high_minutes: 5,
            alert_maintenance_days: 30,
            public_url: None,
            oidc_issuer: None,
            oidc_client_id: None,
            oidc_client_secret: None,
            oidc_company_claim: None,
            oidc_domains: Vec::new(),
            maintenance_url: DEFAULT_MAINTENANCE_URL.to_owned(),
            metrics_token: None,
            header_timeout_s: 10,
            body_timeout_s: 30,
            audit_retention_days: 400,
            legal_privacy_file: None,
            legal_terms_file: None,
            node_id: None,
            job_interval_s: 60,
            blob_url: None,
            firmware_keys: Vec::new(),
            remote_listen: None,
            remote_url: None,
            remote_idle_s: 15 * 60,
            remote_absolute_s: 2 * 3600,
            nats_url: None,
            nats_prefix: "zentrale".to_owned(),
            node_url: None,
        }
    }
}

impl Settings {
    /// Reads a configuration file over the defaults; unknown names are an error.
    pub fn from_toml(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The settings as a configuration file, secrets masked (`serve --print-config`).
    pub fn to_toml_masked(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = shown.database_url.map(|u| mask_url_password(&u));
        toml::to_string(&shown).unwrap_or_default()
    }

    /// Checks the settings and builds the node's configuration; every problem is named.
    pub fn into_config(self) -> Result<Config, String> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(self.build())
        } else {
            Err(problems.join("; "))
        }
    }

    /// What is wrong with these settings (empty: nothing).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            problems.push("tls_cert and tls_key go together: set both or neither".to_owned());
        }
        for (name, v) in [
            ("heartbeat_s", self.heartbeat_s),
            ("header_timeout_s", self.header_timeout_s),
            ("body_timeout_s", self.body_timeout_s),
            ("job_interval_s", self.job_interval_s),
        ] {
            if v == 0 {
                problems.push(format!("{name} must be at least 1"));
            }
        }
        if let Some(issuer) = &self.oidc_issuer {
            let missing: Vec<&str> = [
                ("oidc_client_id", self.oidc_client_id.is_none()),
                ("oidc_client_secret", self.oidc_client_secret.is_none()),
                ("public_url", self.public_url.is_none()),
            ]
            .into_iter()
            .filter_map(|(n, m)| m.then_some(n))
            .collect();
            if !missing.is_empty() {
                problems.push(format!(
                    "single sign-on (oidc_issuer) also needs {}",
                    missing.join(", ")
                ));
            }
            for (name, u) in [
                ("oidc_issuer", Some(issuer)),
                ("public_url", self.public_url.as_ref()),
            ] {
                if let Some(u) = u
                    && url::Url::parse(u).is_err()
                {
                    problems.push(format!("{name} '{u}' is not a URL"));
                }
            }
            for d in &self.oidc_domains {
                if parse_domain(d).is_none() {
                    problems.push(format!("oidc_domains entry '{d}' is not DOMAIN=COMPANY"));
                }
            }
        }
        problems.extend(self.remote_problems());
        problems.extend(self.cluster_problems());
        for k in &self.firmware_keys {
            if !k.trim().is_empty() && minisign::PublicKey::from_base64(k.trim()).is_err() {
                problems.push(format!(
                    "firmware_keys entry '{k}' is not a minisign public key (the base64 line of a .pub file)"
                ));
            }
        }
        problems
    }

    /// What is wrong with the remote-configuration settings.
    fn remote_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(u) = &self.remote_url {
            let parsed = url::Url::parse(&u.replace("{session}", "s"));
            let ok = parsed.as_ref().is_ok_and(|p| {
                matches!(p.scheme(), "http" | "https") && p.path() == "/" && p.query().is_none()
            });
            if !ok {
                problems.push(format!(
                    "remote_url '{u}' must be an origin like https://{{session}}.remote.example.com"
                ));
            }
            if u.contains("{session}") && !u.contains("://{session}.") {
                problems.push(
                    "remote_url: {session} must be the first label of the host name".to_owned(),
                );
            }
        }
        if let Some(addr) = self.remote_listen {
            if addr == self.listen && addr.port() != 0 {
                problems.push("remote_listen must differ from listen".to_owned());
            }
            if !addr.ip().is_loopback() && self.remote_url.is_none() {
                problems.push(
                    "remote_listen on a public address needs remote_url (the origin browsers use)"
                        .to_owned(),
                );
            }
        }
        if self.remote_idle_s < 60 || self.remote_absolute_s < 60 {
            problems.push("remote_idle_s and remote_absolute_s must be at least 60".to_owned());
        }
        problems
    }

    /// What is wrong with the cluster settings.
    fn cluster_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(u) = &self.nats_url {
            for one in u.split(',').map(str::trim) {
                let ok = url::Url::parse(one)
                    .is_ok_and(|p| matches!(p.scheme(), "nats" | "tls") && p.host().is_some());
                if !ok {
                    problems.push(format!(
                        "nats_url '{one}' must be like nats://127.0.0.1:4222"
                    ));
                }
            }
        }
        let p = &self.nats_prefix;
        if p.is_empty()
            || p.len() > 64
            || !p
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            problems.push(format!(
                "nats_prefix '{p}' must be 1 to 64 letters, digits, '-' or '_'"
            ));
        }
        if self.nats_url.is_some()
            && let Some(id) = &self.node_id
            && !id
                .trim()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            problems.push(format!(
                "node_id '{id}' must be letters, digits, '-' or '_' in a cluster (it names NATS subjects)"
            ));
        }
        if let Some(u) = &self.node_url {
            let ok = url::Url::parse(u)
                .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some());
            if !ok {
                problems.push(format!(
                    "node_url '{u}' must be like http://10.0.0.5:8080 (how other nodes reach this one)"
                ));
            }
        }
        problems
    }

    /// The configuration, without checks (the defaults always pass them).
    pub(crate) fn build(self) -> Config {
        let oidc = self.oidc();
        Config {
            listen: self.listen,
            data_dir: self.data_dir,
            database_url: self.database_url,
            tls_cert: self.tls_cert,
            tls_key: self.tls_key,
            heartbeat_s: self.heartbeat_s.max(1),
            token_validity_s: 24 * 3600,
            session_idle_s: self.session_idle_s.max(60),
            session_absolute_s: self.session_absolute_s.max(60),
            min_managed_firmware: self.min_managed_firmware,
            monitoring_interval_ms: self.monitoring_interval_ms.max(100),
            alerts: AlertConfig {
                offline_after_s: self.alert_offline_min.max(1) * 60,
                cpu_pct: self.alert_cpu_pct,
                mem_pct: self.alert_mem_pct,
                high_for_min: self.alert_high_minutes.max(1),
                maintenance_days: self.alert_maintenance_days.max(0),
            },
            oidc,
            maintenance_url: self.maintenance_url,
            metrics_token: self.metrics_token.filter(|t| !t.expose().is_empty()),
            header_timeout_s: self.header_timeout_s.max(1),
            body_timeout_s: self.body_timeout_s.max(1),
            audit_retention_days: self.audit_retention_days.max(1),
            legal_privacy_file: self.legal_privacy_file,
            legal_terms_file: self.legal_terms_file,
            node_id: self.node_id.filter(|n| !n.trim().is_empty()),
            job_interval_s: self.job_interval_s.max(1),
            blob_url: self.blob_url.filter(|u| !u.trim().is_empty()),
            public_url: self
                .public_url
                .clone()
                .map(|u| u.trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty()),
            firmware_keys: self
                .firmware_keys
                .into_iter()
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect(),
            remote_listen: self.remote_listen,
            remote_url: self
                .remote_url
                .map(|u| u.trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty()),
            remote_idle_s: self.remote_idle_s.max(1),
            remote_absolute_s: self.remote_absolute_s.max(1),
            cluster: self
                .nats_url
                .filter(|u| !u.trim().is_empty())
                .map(|nats_url| super::ClusterConfig {
                    nats_url,
                    prefix: self.nats_prefix,
                    node_url: self
                        .node_url
                        .map(|u| u.trim_end_matches('/').to_owned())
                        .filter(|u| !u.is_empty()),
                }),
        }
    }

    fn oidc(&self) -> Option<OidcConfig> {
        Some(OidcConfig {
            issuer: self.oidc_issuer.clone()?,
            client_id: self.oidc_client_id.clone()?,
            client_secret: self.oidc_client_secret.clone()?,
            public_url: self.public_url.clone()?,
            company_claim: self.oidc_company_claim.clone(),
            domains: self
                .oidc_domains
                .iter()
                .filter_map(|d| parse_domain(d))
                .collect(),
        })
    }
}

/// `mueller-it.example=Müller IT` → `("mueller-it.example", "Müller IT")`.
pub fn parse_domain(s: &str) -> Option<(String, String)> {
    match s.split_once('=') {
        Some((d, c)) if !d.trim().is_empty() && !c.trim().is_empty() => {
            Some((d.trim().to_lowercase(), c.trim().to_owned()))
        }
        _ => None,
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:********@host/db`.
fn mask_url_password(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("********"));
            parsed.to_string()
        }
        _ => u.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_over_defaults_and_checks() {
        let s = Settings::from_toml(
            "heartbeat_s = 5\nmetrics_token = \"m-secret\"\ndatabase_url = \"postgres://z:pw@db/z\"\n",
        )
        .unwrap_or_default();
        assert_eq!(s.heartbeat_s, 5);
        assert_eq!(s.session_idle_s, 8 * 3600, "default kept");
        let shown = s.to_toml_masked();
        assert!(
            !shown.contains("m-secret") && !shown.contains(":pw@"),
            "{shown}"
        );
        assert!(
            Settings::from_toml("hearbeat_s = 5").is_err(),
            "typo refused"
        );
        let half = Settings {
            oidc_issuer: Some("https://id.example".into()),
            ..Settings::default()
        };
        let err = half.into_config().err().unwrap_or_default();
        assert!(
            err.contains("oidc_client_id") && err.contains("public_url"),
            "{err}"
        );
    }
}
