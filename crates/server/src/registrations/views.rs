//! Symbols and status words for each status, as the manual names them (words from the
//! catalog: `phone-status-…`, `account-status-…`, `phone-kind-…`).

use crate::web::list::{ListRow, SortKey};

/// (symbol, catalog key of the words, css kind) for a stored phone status.
pub fn phone_status(s: &str) -> (&'static str, &'static str, &'static str) {
    match s {
        "no_provisioning_file" => ("✖", "phone-status-no_provisioning_file", "error"),
        "provisioning_pending" => ("◔", "phone-status-provisioning_pending", "pending"),
        "provisioning_done" => ("☑", "phone-status-provisioning_done", "pending"),
        "registered_encrypted" => ("✔", "phone-status-registered_encrypted", "ok"),
        "registered_unencrypted" => ("✔", "phone-status-registered_unencrypted", "ok"),
        "registration_pending" => ("⚠", "phone-status-registration_pending", "action"),
        "connected" => ("✔", "phone-status-connected", "ok"),
        _ => ("?", "status-unknown", "unknown"),
    }
}

/// (symbol, catalog key of the words, css kind) for a stored account status.
pub fn account_status(s: &str) -> (&'static str, &'static str, &'static str) {
    match s {
        "stun_not_entered" => ("○", "account-status-stun_not_entered", "pending"),
        "stun_connected" => ("✔", "account-status-stun_connected", "ok"),
        "stun_offline" => ("✖", "account-status-stun_offline", "error"),
        "stun_query_faulty" => ("⚠", "account-status-stun_query_faulty", "action"),
        "invite_answered" => ("↔", "account-status-invite_answered", "ok"),
        "configuration_faulty" => ("✖", "account-status-configuration_faulty", "error"),
        "not_registered" => ("✖", "account-status-not_registered", "error"),
        "registered_decoded" => ("✔", "account-status-registered_decoded", "ok"),
        "registered_encoded" => ("✔", "account-status-registered_encoded", "ok"),
        _ => ("?", "status-unknown", "unknown"),
    }
}

/// Catalog key of a phone type.
pub fn kind_label(k: &str) -> &'static str {
    match k {
        "ip" => "phone-kind-ip",
        "dect" => "phone-kind-dect",
        "analogue" => "phone-kind-analogue",
        _ => "phone-kind-other",
    }
}

pub struct PhoneLine {
    pub name: String,
    pub mac: String,
    pub kind: String,
    pub symbol: &'static str,
    pub words: String,
    pub css: &'static str,
    pub status: String,
}

pub struct AccountLine {
    pub account: String,
    pub provider: String,
    pub symbol: &'static str,
    pub words: String,
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
            "status" => self.words.clone(),
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
            "status" => self.words.clone(),
            _ => self.account.clone(),
        })
    }
}
