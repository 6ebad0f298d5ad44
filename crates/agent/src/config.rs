//! How an agent reaches its control center.

use crate::error::AgentError;
use std::path::PathBuf;
use url::Url;

#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Base URL of the control center, `https://ccc.example.com` (or `http://` on loopback).
    pub server: Url,
    /// The PBX's serial number.
    pub serial: String,
    /// Where the credential is kept between runs.
    pub state_file: PathBuf,
    /// HTTP proxy for online services (`http://proxy:3128`), used with CONNECT.
    pub proxy: Option<Url>,
    /// Extra CA certificate(s) (PEM) to trust besides the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Allow plain `http://` to a non-loopback server (never in production).
    pub allow_insecure: bool,
    /// Local address to connect from (spreads many simulated PBXes over 127.0.0.x).
    pub local_addr: Option<std::net::IpAddr>,
    /// Longest wait between reconnect attempts.
    pub backoff_cap: std::time::Duration,
    /// Public keys (minisign, base64) whose firmware signatures this PBX accepts.
    pub firmware_keys: Vec<String>,
}

impl AgentConfig {
    pub fn new(server: Url, serial: impl Into<String>, state_file: impl Into<PathBuf>) -> Self {
        AgentConfig {
            server,
            serial: serial.into(),
            state_file: state_file.into(),
            proxy: None,
            ca_file: None,
            allow_insecure: false,
            local_addr: None,
            backoff_cap: std::time::Duration::from_secs(60),
            firmware_keys: Vec::new(),
        }
    }

    /// Checks the server URL: https, or http only to loopback or when explicitly allowed.
    pub fn validate(&self) -> Result<(), AgentError> {
        match self.server.scheme() {
            "https" => {}
            "http" if self.allow_insecure || self.server_is_loopback() => {}
            "http" => {
                return Err(AgentError::Config(format!(
                    "{} is plain http: use https, or pass --allow-insecure for a test setup",
                    self.server
                )));
            }
            other => {
                return Err(AgentError::Config(format!(
                    "unsupported URL scheme '{other}': use https"
                )));
            }
        }
        if self.server.host_str().is_none() {
            return Err(AgentError::Config(format!("{} has no host", self.server)));
        }
        if let Some(p) = &self.proxy
            && p.scheme() != "http"
        {
            return Err(AgentError::Config(format!(
                "proxy {p}: only http:// proxies (CONNECT) are supported"
            )));
        }
        Ok(())
    }

    fn server_is_loopback(&self) -> bool {
        match self.server.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }
}
