//! One stored system, as every area reads it (its own file, so that the capability types can
//! carry it without importing the store).

use crate::ids::{CompanyId, SystemId, UserId};

/// One row of `systems`, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SystemRow {
    pub id: SystemId,
    pub company_id: CompanyId,
    pub owner_id: UserId,
    pub name: String,
    pub serial: String,
    pub created_at: i64,
    pub token: Option<String>,
    pub token_expires_at: Option<i64>,
    pub token_used_at: Option<i64>,
    pub secret_hash: Option<String>,
    pub initial_registration_at: Option<i64>,
    pub paired_at: Option<i64>,
    pub error_code: Option<String>,
    pub error_detail: Option<String>,
    pub error_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub model: Option<String>,
    pub mac: Option<String>,
    pub firmware: Option<String>,
    pub booted_at: Option<i64>,
    pub maintenance_active: Option<i64>,
    pub maintenance_until: Option<i64>,
    pub licences: Option<String>,
    pub capabilities: Option<String>,
    pub monitoring_enabled: Option<i64>,
    pub remote_config_allowed: Option<i64>,
    pub info_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    pub online_since: Option<i64>,
    /// The node holding its connection (several nodes share the database).
    pub online_node: Option<String>,
    /// Why the last registration report could not be taken (too large for protocol v1).
    pub registrations_problem: Option<String>,
    /// The PBX reported a password for remote backup (remote backup set up).
    pub remote_backup_ready: Option<i64>,
    /// A remote-configuration session is open since then (the active-connection symbol).
    pub remote_since: Option<i64>,
}

/// The PBX's switches as booleans: the database keeps them as 0/1 integers, read here once.
impl SystemRow {
    /// Active maintenance as last reported; `None` before the PBX reported.
    pub fn maintenance(&self) -> Option<bool> {
        self.maintenance_active.map(|m| m != 0)
    }

    /// "Recording of system data" is switched on in the PBX.
    pub fn records_system_data(&self) -> bool {
        self.monitoring_enabled.is_some_and(|m| m != 0)
    }

    /// "Remote configuration via remote access server" is allowed in the PBX.
    pub fn remote_config_allowed(&self) -> bool {
        self.remote_config_allowed.is_some_and(|m| m != 0)
    }
}
