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
    /// Only in a `registrations.get` answer whose lists did not fit one message: the
    /// `report` id of the `registrations.part` notes that carried them just before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<String>,
}

/// Notification name of one part of a report too large for one message.
pub const REGISTRATIONS_PART: &str = "registrations.part";

/// Params of `registrations.part`: a report in parts, numbered from 0, the last one marked;
/// the receiver stores the report when the last part arrives. Each part must fit in one
/// message ([`crate::MAX_FRAME_BYTES`]); a report has at most [`MAX_PARTS`] parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RegistrationsPart {
    /// The same for every part of one report (1–64 characters); a new id starts a new report.
    #[schemars(length(min = 1, max = 64))]
    pub report: String,
    /// 0, 1, 2 … in order.
    pub seq: u32,
    /// Set on the final part.
    pub last: bool,
    pub as_of_ms: i64,
    #[serde(default)]
    pub phones: Vec<Phone>,
    #[serde(default)]
    pub accounts: Vec<Account>,
}

/// Most parts of one report (64 × 64 KiB = 4 MiB, thousands of phones).
pub const MAX_PARTS: u32 = 64;

/// Splits a report into parts of at most `budget` bytes of list entries each (JSON), for a
/// sender whose report does not fit one message.
pub fn split(r: &Registrations, report: &str, budget: usize) -> Vec<RegistrationsPart> {
    let empty = |seq: u32| RegistrationsPart {
        report: report.to_owned(),
        seq,
        last: false,
        as_of_ms: r.as_of_ms,
        phones: Vec::new(),
        accounts: Vec::new(),
    };
    let mut parts = Vec::new();
    let mut current = empty(0);
    let mut used = 0;
    let entries = r
        .phones
        .iter()
        .map(|p| (Some(p), None))
        .chain(r.accounts.iter().map(|a| (None, Some(a))));
    for (phone, account) in entries {
        let n = match (phone, account) {
            (Some(p), _) => serde_json::to_string(p),
            (_, Some(a)) => serde_json::to_string(a),
            _ => Ok(String::new()),
        }
        .map(|s| s.len() + 1)
        .unwrap_or(0);
        if used + n > budget && !(current.phones.is_empty() && current.accounts.is_empty()) {
            let next = empty(current.seq + 1);
            parts.push(std::mem::replace(&mut current, next));
            used = 0;
        }
        used += n;
        if let Some(p) = phone {
            current.phones.push(p.clone());
        }
        if let Some(a) = account {
            current.accounts.push(a.clone());
        }
    }
    current.last = true;
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_splits_into_parts_that_fit() {
        let phone = Phone {
            name: "Extension with a long name".into(),
            mac: "00:09:52:00:00:01".into(),
            kind: PhoneKind::Ip,
            status: PhoneStatus::Connected,
        };
        let r = Registrations {
            as_of_ms: 5,
            phones: vec![phone; 2000],
            accounts: Vec::new(),
            parts: None,
        };
        let parts = split(&r, "r1", 48 * 1024);
        assert!(parts.len() > 1);
        assert!(parts.iter().enumerate().all(|(i, p)| p.seq == i as u32));
        assert!(
            parts.last().is_some_and(|p| p.last) && parts.iter().filter(|p| p.last).count() == 1
        );
        assert_eq!(parts.iter().map(|p| p.phones.len()).sum::<usize>(), 2000);
        for p in &parts {
            let text = crate::Envelope::note(REGISTRATIONS_PART, p).to_text();
            assert!(text.len() <= crate::MAX_FRAME_BYTES, "{} bytes", text.len());
        }
    }

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
