//! The one place that decides what a user may do with a system.
//!
//! A user's roles on a system are the union of ownership (who added it), direct
//! authorisations and the roles of the user groups they belong to that hold the system.
//! Handlers never check rights themselves: they ask [`system`] for a [`SystemAccess`], which
//! exists only if the user may see the system, and service functions for protected actions
//! take the capability value that proves the needed role ([`Owner`], [`Manager`]).
//! A system of another company, or one the user has no access to, is "not found".

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::systems::store::{self, SystemRow};
use std::collections::HashMap;

/// Roles per system, as in the manual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Owner,
    Administrator,
    Monitoring,
    Backup,
    CallData,
}

impl Role {
    /// The roles that can be granted (Owner cannot).
    pub const GRANTABLE: [Role; 4] = [
        Role::Administrator,
        Role::Monitoring,
        Role::Backup,
        Role::CallData,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Administrator => "Administrator",
            Role::Monitoring => "Monitoring",
            Role::Backup => "Backup",
            Role::CallData => "Call data",
        }
    }

    /// Form and API name.
    pub fn key(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Administrator => "administrator",
            Role::Monitoring => "monitoring",
            Role::Backup => "backup",
            Role::CallData => "call_data",
        }
    }

    fn bit(self) -> i64 {
        match self {
            Role::Administrator => 1,
            Role::Monitoring => 2,
            Role::Backup => 4,
            Role::CallData => 8,
            Role::Owner => 16,
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        [
            Role::Owner,
            Role::Administrator,
            Role::Monitoring,
            Role::Backup,
            Role::CallData,
        ]
        .into_iter()
        .find(|r| r.key() == key)
    }
}

/// A set of roles, stored as a bitmask (Owner is never stored: it comes from `owner_id`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoleSet(i64);

impl RoleSet {
    pub fn from_bits(bits: i64) -> Self {
        RoleSet(bits & 0b1_1111)
    }

    /// The bits as stored (grantable roles only).
    pub fn bits(self) -> i64 {
        self.0 & 0b1111
    }

    pub fn with(self, r: Role) -> Self {
        RoleSet(self.0 | r.bit())
    }

    pub fn union(self, o: RoleSet) -> Self {
        RoleSet(self.0 | o.0)
    }

    pub fn contains(self, r: Role) -> bool {
        self.0 & r.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses role keys from a form or API; refuses Owner and unknown names.
    pub fn parse<'a>(keys: impl IntoIterator<Item = &'a str>) -> AppResult<RoleSet> {
        let mut set = RoleSet::default();
        for k in keys {
            match Role::from_key(k.trim()) {
                Some(Role::Owner) => {
                    return Err(AppError::BadRequest(
                        "The Owner role cannot be granted: it belongs to whoever added the system."
                            .into(),
                    ));
                }
                Some(r) => set = set.with(r),
                None => {
                    return Err(AppError::BadRequest(format!(
                        "'{}' is not a role.",
                        k.trim()
                    )));
                }
            }
        }
        Ok(set)
    }

    pub fn roles(self) -> Vec<Role> {
        [
            Role::Owner,
            Role::Administrator,
            Role::Monitoring,
            Role::Backup,
            Role::CallData,
        ]
        .into_iter()
        .filter(|r| self.contains(*r))
        .collect()
    }

    pub fn labels(self) -> String {
        self.roles()
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Proof that a user may see a system, with the roles they hold on it.
#[derive(Debug, Clone)]
pub struct SystemAccess {
    system: SystemRow,
    roles: RoleSet,
}

/// Proof that the user owns the system (only the owner deletes it).
#[derive(Debug)]
pub struct Owner(SystemRow);

/// Proof that the user may manage the system: owner or Administrator (pairing, granting
/// authorisations, adding it to groups, firmware update).
#[derive(Debug)]
pub struct Manager(SystemRow);

/// Proof that the user may use monitoring and alerts: Monitoring or Administrator role, or owner.
#[derive(Debug)]
pub struct Monitor(SystemRow);

impl SystemAccess {
    pub fn system(&self) -> &SystemRow {
        &self.system
    }

    pub fn roles(&self) -> RoleSet {
        self.roles
    }

    /// Whether the user holds `role` (the owner holds every role).
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(role) || self.roles.contains(Role::Owner)
    }

    /// Whether the user may manage the system (owner or Administrator).
    pub fn can_manage(&self) -> bool {
        self.has(Role::Administrator)
    }

    /// The confirmation code and its expiry while it is unused, for those who manage the
    /// system only (anyone else could pair a PBX of their own with it).
    pub fn pairing_token(&self) -> Option<(&str, Option<i64>)> {
        if self.system.token_used_at.is_some() || !self.can_manage() {
            return None;
        }
        self.system
            .token
            .as_deref()
            .map(|t| (t, self.system.token_expires_at))
    }

    pub fn owner(self) -> AppResult<Owner> {
        if self.roles.contains(Role::Owner) {
            Ok(Owner(self.system))
        } else {
            Err(AppError::Forbidden(format!(
                "Only the owner of '{}' (who added it) can delete it.",
                self.system.name
            )))
        }
    }

    pub fn monitor(&self) -> AppResult<Monitor> {
        if self.has(Role::Monitoring) || self.has(Role::Administrator) {
            Ok(Monitor(self.system.clone()))
        } else {
            Err(AppError::Forbidden(format!(
                "Monitoring and alerts of '{}' need the Monitoring or Administrator role.",
                self.system.name
            )))
        }
    }

    pub fn manager(self) -> AppResult<Manager> {
        if self.has(Role::Administrator) {
            Ok(Manager(self.system))
        } else {
            Err(AppError::Forbidden(format!(
                "You need the Administrator role on '{}' for this.",
                self.system.name
            )))
        }
    }
}

impl Owner {
    pub fn system(&self) -> &SystemRow {
        &self.0
    }
}

impl Monitor {
    pub fn system(&self) -> &SystemRow {
        &self.0
    }
}

impl Manager {
    pub fn system(&self) -> &SystemRow {
        &self.0
    }
}

/// Roles granted to `user_id` per system, from authorisations and group memberships.
async fn granted(
    st: &AppState,
    user_id: &str,
    system_id: Option<&str>,
) -> AppResult<HashMap<String, RoleSet>> {
    let filter = if system_id.is_some() {
        " AND x.system_id = $2"
    } else {
        ""
    };
    let sql = format!(
        "SELECT x.system_id, x.roles FROM (\
           SELECT a.system_id, a.roles FROM authorisations a WHERE a.user_id = $1 \
           UNION ALL \
           SELECT gs.system_id, gm.roles FROM group_members gm \
           JOIN group_systems gs ON gs.group_id = gm.group_id WHERE gm.user_id = $1\
         ) x WHERE 1 = 1{filter}"
    );
    let mut q = sqlx::query_as::<_, (String, i64)>(&sql).bind(user_id);
    if let Some(id) = system_id {
        q = q.bind(id);
    }
    let mut map: HashMap<String, RoleSet> = HashMap::new();
    for (sys, bits) in q.fetch_all(&st.db.pool).await? {
        let e = map.entry(sys).or_default();
        *e = e.union(RoleSet::from_bits(bits & 0b1111));
    }
    Ok(map)
}

fn roles_for(user: &CurrentUser, s: &SystemRow, granted: Option<RoleSet>) -> RoleSet {
    if s.company_id != user.company_id {
        return RoleSet::default();
    }
    let mut roles = granted.unwrap_or_default();
    if s.owner_id == user.id {
        roles = roles.with(Role::Owner);
    }
    roles
}

/// The user's access to system `id`, or `NotFound`.
pub async fn system(st: &AppState, user: &CurrentUser, id: &str) -> AppResult<SystemAccess> {
    let system = store::by_id(&st.db, id).await?.ok_or(AppError::NotFound)?;
    if system.company_id != user.company_id {
        return Err(AppError::NotFound);
    }
    let granted = granted(st, &user.id, Some(id)).await?;
    let roles = roles_for(user, &system, granted.get(id).copied());
    if roles.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(SystemAccess { system, roles })
}

/// Every system the user may see.
pub async fn visible_systems(st: &AppState, user: &CurrentUser) -> AppResult<Vec<SystemAccess>> {
    let granted = granted(st, &user.id, None).await?;
    let rows = store::of_company(&st.db, &user.company_id).await?;
    Ok(rows
        .into_iter()
        .filter_map(|system| {
            let roles = roles_for(user, &system, granted.get(&system.id).copied());
            (!roles.is_empty()).then_some(SystemAccess { system, roles })
        })
        .collect())
}

/// The same rule as [`visible_systems`], as SQL for list queries over many systems: the
/// condition on `systems s` with `$1` = company id and `$2` = user id.
pub const VISIBLE_SQL: &str = "s.company_id = $1 AND (s.owner_id = $2 \
    OR s.id IN (SELECT a.system_id FROM authorisations a WHERE a.user_id = $2) \
    OR s.id IN (SELECT gs.system_id FROM group_systems gs \
                JOIN group_members gm ON gm.group_id = gs.group_id WHERE gm.user_id = $2))";

/// Systems the user may manage (owner or Administrator): what they may grant or group.
pub async fn managed_systems(st: &AppState, user: &CurrentUser) -> AppResult<Vec<SystemAccess>> {
    Ok(visible_systems(st, user)
        .await?
        .into_iter()
        .filter(|a| a.has(Role::Administrator))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_sets() {
        let s = RoleSet::parse(["monitoring", "backup"]).unwrap_or_default();
        assert!(
            s.contains(Role::Monitoring)
                && s.contains(Role::Backup)
                && !s.contains(Role::Administrator)
        );
        assert_eq!(s.labels(), "Monitoring, Backup");
        assert_eq!(RoleSet::from_bits(s.bits()), s);
        assert!(RoleSet::parse(["owner"]).is_err());
        assert!(RoleSet::parse(["root"]).is_err());
        assert_eq!(s.with(Role::Owner).bits() & 16, 0, "Owner is never stored");
    }
}
