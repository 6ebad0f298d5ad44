//! Words and symbols for each status, as the manual names them.

use crate::web::list::{ListRow, SortKey};

/// (symbol, words, css kind) for a stored phone status.
pub fn phone_status(s: &str) -> (&'static str, &'static str, &'static str) {
    match s {
        "no_provisioning_file" => ("✖", "No provisioning file", "error"),
        "provisioning_pending" => ("◔", "Provisioning not yet carried out", "pending"),
        "provisioning_done" => ("☑", "Provisioning is done", "pending"),
        "registered_encrypted" => ("✔", "Registration done – encrypted", "ok"),
        "registered_unencrypted" => ("✔", "Registration done – unencrypted", "ok"),
        "registration_pending" => ("⚠", "Registration not yet completed", "action"),
        "connected" => ("✔", "Telephone connected", "ok"),
        _ => ("?", "unknown", "unknown"),
    }
}

/// (symbol, words, css kind) for a stored account status.
pub fn account_status(s: &str) -> (&'static str, &'static str, &'static str) {
    match s {
        "stun_not_entered" => (
            "○",
            "No STUN server entered or the connection has not been established yet",
            "pending",
        ),
        "stun_connected" => (
            "✔",
            "The connection to the STUN server was successfully established",
            "ok",
        ),
        "stun_offline" => (
            "✖",
            "The STUN server is offline, faulty configured or the access is blocked by a firewall",
            "error",
        ),
        "stun_query_faulty" => (
            "⚠",
            "The STUN query has been faulty or no outgoing call via this VoIP account yet",
            "action",
        ),
        "invite_answered" => ("↔", "The provider has answered the INVITE request", "ok"),
        "configuration_faulty" => (
            "✖",
            "Faulty provider or account configuration, incorrect access data or the outbound proxy is offline",
            "error",
        ),
        "not_registered" => ("✖", "not registered", "error"),
        "registered_decoded" => ("✔", "Account registered – decoded", "ok"),
        "registered_encoded" => ("✔", "Account registered – encoded", "ok"),
        _ => ("?", "unknown", "unknown"),
    }
}

pub fn kind_label(k: &str) -> &'static str {
    match k {
        "ip" => "IP phone",
        "dect" => "DECT",
        "analogue" => "Analogue",
        _ => "Other",
    }
}

pub struct PhoneLine {
    pub name: String,
    pub mac: String,
    pub kind: &'static str,
    pub symbol: &'static str,
    pub words: &'static str,
    pub css: &'static str,
    pub status: String,
}

pub struct AccountLine {
    pub account: String,
    pub provider: String,
    pub symbol: &'static str,
    pub words: &'static str,
    pub css: &'static str,
    pub status: String,
}

impl ListRow for PhoneLine {
    fn search_text(&self) -> String {
        format!("{} {} {} {}", self.name, self.mac, self.kind, self.words)
    }
    fn sort_key(&self, key: &str) -> SortKey {
        SortKey::Text(match key {
            "mac" => self.mac.clone(),
            "status" => self.words.to_owned(),
            _ => self.name.clone(),
        })
    }
}

impl ListRow for AccountLine {
    fn search_text(&self) -> String {
        format!("{} {} {}", self.account, self.provider, self.words)
    }
    fn sort_key(&self, key: &str) -> SortKey {
        SortKey::Text(match key {
            "provider" => self.provider.clone(),
            "status" => self.words.to_owned(),
            _ => self.account.clone(),
        })
    }
}
