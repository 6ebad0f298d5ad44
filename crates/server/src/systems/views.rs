//! What the systems pages show, prepared from stored rows.

use super::service;
use super::store::SystemRow;
use crate::access::{Role, SystemAccess};
use crate::i18n::{Msg, Tr};
use crate::state::AppState;
use crate::web::list::{ListRow, SortKey};
use zentrale_protocol::messages::Licence;

/// One line of a systems list.
pub struct SystemLine {
    pub id: String,
    pub name: String,
    pub serial: String,
    pub initial_registration: String,
    initial_ms: Option<i64>,
    pub state_kind: &'static str,
    pub state_symbol: &'static str,
    pub state_words: String,
    /// Shown while pairing is pending or failed, so it can be copied or renewed.
    pub token: String,
    pub token_expires: String,
    pub roles: String,
    pub can_manage: bool,
    pub is_owner: bool,
    /// The maintenance website, linked when the state asks for maintenance.
    pub maintenance_url: String,
    /// Licence entries the PBX reported.
    pub licences: usize,
    /// Whether the functions that need maintenance are available now.
    pub functions: bool,
    /// "12/14 phones, 2/2 accounts registered", or why it is not shown.
    pub registrations: String,
    /// Whether the user may use monitoring and alerts.
    pub can_monitor: bool,
    /// A pairing attempt refused after the system was paired (the pairing itself stands).
    pub refusal: String,
    /// "Connected to the remote access server since …" while a remote session is open.
    pub remote_active: String,
}

pub const COLUMNS: &[&str] = &[
    "name",
    "serial",
    "registered",
    "state",
    "registrations",
    "roles",
];

impl SystemLine {
    pub fn new(st: &AppState, a: &SystemAccess, tr: &Tr) -> Self {
        let s = a.system();
        let state = service::device_state(st, s);
        SystemLine {
            id: s.id.to_string(),
            name: s.name.clone(),
            serial: s.serial.clone(),
            initial_registration: tr.datetime(s.initial_registration_at),
            initial_ms: s.initial_registration_at,
            state_kind: state.kind(),
            state_symbol: state.symbol(),
            state_words: state.words(tr),
            token: a
                .pairing_token()
                .map(|(t, _)| t.to_owned())
                .unwrap_or_default(),
            token_expires: tr.datetime(a.pairing_token().and_then(|(_, e)| e)),
            roles: a.roles().labels(tr),
            can_manage: a.can_manage(),
            is_owner: a.roles().contains(Role::Owner),
            maintenance_url: st.config.maintenance_url.clone(),
            licences: s
                .licences
                .as_deref()
                .and_then(|l| serde_json::from_str::<Vec<Licence>>(l).ok())
                .map_or(0, |l| l.len()),
            functions: super::gating::require_maintenance(s, st.config.min_managed_firmware)
                .is_ok(),
            registrations: String::new(),
            can_monitor: a.has(Role::Monitoring) || a.has(Role::Administrator),
            refusal: refusal_since_pairing(s, tr),
            remote_active: s
                .remote_since
                .map(|at| tr.msg(&Msg::new("remote-active-since").time("since", at)))
                .unwrap_or_default(),
        }
    }

    /// Adds the registration summary column.
    pub fn with_summary(
        mut self,
        summary: Option<&crate::registrations::store::Summary>,
        tr: &Tr,
    ) -> Self {
        self.registrations = match (self.functions, summary) {
            (false, _) => String::new(),
            (true, None) => tr.t("summary-nothing"),
            (true, Some(s)) => tr.msg(
                &Msg::new("summary-counts")
                    .num("phones_ok", s.phones_ok as f64)
                    .num("phones", s.phones as f64)
                    .num("accounts_ok", s.accounts_ok as f64)
                    .num("accounts", s.accounts as f64),
            ),
        };
        self
    }
}

/// "A pairing attempt was refused …" when a refusal came after the system was paired.
fn refusal_since_pairing(s: &SystemRow, tr: &Tr) -> String {
    match (&s.secret_hash, &s.error_code, s.error_at) {
        (Some(_), Some(code), Some(at)) if s.paired_at.is_none_or(|p| at > p) => {
            tr.msg(&Msg::new("refusal-since-pairing").time("at", at).inner(
                "reason",
                super::state::error_reason(code, s.error_detail.as_deref()),
            ))
        }
        _ => String::new(),
    }
}

impl ListRow for SystemLine {
    fn search_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.name, self.serial, self.state_words, self.roles
        )
    }

    fn sort_key(&self, key: &str) -> SortKey {
        match key {
            "serial" => SortKey::Text(self.serial.clone()),
            "registered" => self.initial_ms.map_or(SortKey::Missing, SortKey::Number),
            "state" => SortKey::Text(format!("{} {}", self.state_kind, self.state_words)),
            "roles" => SortKey::Text(self.roles.clone()),
            "registrations" => SortKey::Text(self.registrations.clone()),
            _ => SortKey::Text(self.name.clone()),
        }
    }
}

/// The system information page's facts.
pub struct SystemInfo {
    pub line: SystemLine,
    pub model: String,
    pub mac: String,
    pub firmware: String,
    pub uptime: String,
    pub maintenance: String,
    pub licences: Vec<Licence>,
    pub last_seen: String,
    pub online_since: String,
    /// The control-center node holding the connection (shown in a cluster only).
    pub node: String,
    pub paired_at: String,
    pub created_at: String,
}

impl SystemInfo {
    pub fn new(st: &AppState, a: &SystemAccess, tr: &Tr) -> Self {
        let s: &SystemRow = a.system();
        let now = st.clock.now_ms();
        let online = s.online_since.is_some();
        let maintenance = match (s.maintenance(), s.maintenance_until) {
            (Some(true), Some(until)) => {
                format!(
                    "✔ {}",
                    tr.msg(&Msg::new("info-maintenance-until").time("until", until))
                )
            }
            (Some(true), None) => format!("✔ {}", tr.t("info-maintenance-active")),
            (Some(false), Some(until)) if until <= now => {
                format!(
                    "✖ {}",
                    tr.msg(&Msg::new("info-maintenance-ended").time("at", until))
                )
            }
            (Some(false), _) => format!("✖ {}", tr.t("info-maintenance-inactive")),
            (None, _) => String::new(),
        };
        SystemInfo {
            line: SystemLine::new(st, a, tr),
            model: s.model.clone().unwrap_or_default(),
            mac: s.mac.clone().unwrap_or_default(),
            firmware: s.firmware.clone().unwrap_or_default(),
            uptime: match (online, s.booted_at) {
                (true, Some(b)) => tr.duration((now - b) / 1000),
                _ => String::new(),
            },
            maintenance,
            licences: s
                .licences
                .as_deref()
                .and_then(|l| serde_json::from_str(l).ok())
                .unwrap_or_default(),
            last_seen: if online {
                tr.t("info-now-connected")
            } else {
                tr.datetime(s.last_seen_at)
            },
            online_since: tr.datetime(s.online_since),
            node: match (&st.cluster, online) {
                (Some(_), true) => s.online_node.clone().unwrap_or_default(),
                _ => String::new(),
            },
            paired_at: tr.datetime(s.paired_at),
            created_at: tr.datetime(Some(s.created_at)),
        }
    }
}
