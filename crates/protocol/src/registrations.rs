//! Registration status of a PBX: its telephones and its providers/accounts, with every
//! status the COMtrexx manual lists. Unknown values (from newer agents) read as `unknown`.

use serde::{Deserialize, Serialize};

/// Agent → server notification whenever the lists changed (and once after `hello`).
pub const REGISTRATIONS: &str = "registrations";
/// Server → agent request: answer with the current [`Registrations`].
pub const REGISTRATIONS_GET: &str = "registrations.get";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    Ip,
    Dect,
    Analogue,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhoneStatus {
    NoProvisioningFile,
    ProvisioningPending,
    ProvisioningDone,
    RegisteredEncrypted,
    RegisteredUnencrypted,
    RegistrationPending,
    Connected,
    #[serde(other)]
    Unknown,
}

impl PhoneStatus {
    pub const ALL: [PhoneStatus; 8] = [
        PhoneStatus::NoProvisioningFile,
        PhoneStatus::ProvisioningPending,
        PhoneStatus::ProvisioningDone,
        PhoneStatus::RegisteredEncrypted,
        PhoneStatus::RegisteredUnencrypted,
        PhoneStatus::RegistrationPending,
        PhoneStatus::Unknown,
        PhoneStatus::Connected,
    ];

    /// Registered or connected: the phone can be used.
    pub fn is_registered(self) -> bool {
        matches!(
            self,
            PhoneStatus::RegisteredEncrypted
                | PhoneStatus::RegisteredUnencrypted
                | PhoneStatus::Connected
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    StunNotEntered,
    StunConnected,
    StunOffline,
    StunQueryFaulty,
    InviteAnswered,
    ConfigurationFaulty,
    NotRegistered,
    RegisteredDecoded,
    RegisteredEncoded,
    #[serde(other)]
    Unknown,
}

impl AccountStatus {
    pub const ALL: [AccountStatus; 9] = [
        AccountStatus::StunNotEntered,
        AccountStatus::StunConnected,
        AccountStatus::StunOffline,
        AccountStatus::StunQueryFaulty,
        AccountStatus::InviteAnswered,
        AccountStatus::ConfigurationFaulty,
        AccountStatus::NotRegistered,
        AccountStatus::RegisteredDecoded,
        AccountStatus::RegisteredEncoded,
    ];

    pub fn is_registered(self) -> bool {
        matches!(
            self,
            AccountStatus::RegisteredDecoded | AccountStatus::RegisteredEncoded
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Phone {
    pub name: String,
    /// `00:09:52:…`
    pub mac: String,
    pub kind: PhoneKind,
    pub status: PhoneStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Account {
    /// Account name in the PBX.
    pub account: String,
    pub provider: String,
    pub status: AccountStatus,
}

/// Params of `registrations` and the result of `registrations.get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct Registrations {
    /// When the PBX took this picture, ms since the epoch (UTC).
    pub as_of_ms: i64,
    #[serde(default)]
    pub phones: Vec<Phone>,
    #[serde(default)]
    pub accounts: Vec<Account>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_status_values_read_as_unknown() {
        let p: Phone =
            serde_json::from_str(r#"{"name":"a","mac":"m","kind":"fax","status":"teleported"}"#)
                .unwrap_or_else(|_| Phone {
                    name: String::new(),
                    mac: String::new(),
                    kind: PhoneKind::Ip,
                    status: PhoneStatus::Connected,
                });
        assert_eq!((p.kind, p.status), (PhoneKind::Other, PhoneStatus::Unknown));
    }
}
