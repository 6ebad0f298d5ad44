//! The one place that decides what a user may do with a system.
//!
//! A user's roles on a system are the union of ownership (who added it), direct
//! authorisations and the roles of the user groups they belong to that hold the system.
//! Handlers never check rights themselves: they ask [`require`] for a [`Cap`] of the feature
//! they need (role, maintenance and firmware checked in one place), or [`system`] for a
//! [`SystemAccess`] that only proves the system is visible; services and store functions
//! that act on a system take the `Cap` (see `cap.rs` for why skipping it cannot compile).
//! A system of another company, or one the user has no access to, is "not found".

pub mod cap;
pub mod counts;
mod listing;
mod roles;

pub use cap::{Cap, Feature, Manager, Monitor, Owner, SystemAccess, feature};
pub use listing::{
    SystemPage, SystemQuery, SystemSort, feature_systems_sql, managed_choices, managed_systems_sql,
    visible_page,
};
pub use roles::{Role, RoleSet};

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::ids::SystemId;
use crate::state::AppState;
use crate::systems::store::{self, SystemRow};
use std::collections::HashMap;

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
pub async fn system(st: &AppState, user: &CurrentUser, id: &SystemId) -> AppResult<SystemAccess> {
    let system = store::by_id(&st.db, id).await?.ok_or(AppError::NotFound)?;
    if system.company_id != user.company_id {
        return Err(AppError::NotFound);
    }
    let granted = granted(st, &user.id, Some(id)).await?;
    let roles = roles_for(user, &system, granted.get(id.as_str()).copied());
    if roles.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(SystemAccess::new(system, roles))
}

/// Every system the user may see.
pub async fn visible_systems(st: &AppState, user: &CurrentUser) -> AppResult<Vec<SystemAccess>> {
    let granted = granted(st, &user.id, None).await?;
    let rows = store::of_company(&st.db, &user.company_id).await?;
    Ok(rows
        .into_iter()
        .filter_map(|system| {
            let roles = roles_for(user, &system, granted.get(system.id.as_str()).copied());
            (!roles.is_empty()).then(|| SystemAccess::new(system, roles))
        })
        .collect())
}

/// Systems the user may manage (owner or Administrator): what they may grant or group.
pub async fn managed_systems(st: &AppState, user: &CurrentUser) -> AppResult<Vec<SystemAccess>> {
    Ok(visible_systems(st, user)
        .await?
        .into_iter()
        .filter(|a| a.has(Role::Administrator))
        .collect())
}

/// The capability for feature `F` on system `id`: the system must be visible to the user
/// (else "not found"), the user must hold a role that permits `F` (else 403 with the reason),
/// and a gated feature needs active maintenance and a managed firmware (else 409 with what
/// to do). The one way to get a [`Cap`].
pub async fn require<F: Feature>(
    st: &AppState,
    user: &CurrentUser,
    id: &SystemId,
) -> AppResult<Cap<F>> {
    system(st, user, id).await?.require::<F>(st)
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
        assert_eq!(s.labels(&crate::i18n::Tr::default()), "Monitoring, Backup");
        assert_eq!(RoleSet::from_bits(s.bits()), s);
        assert!(RoleSet::parse(["owner"]).is_err());
        assert!(RoleSet::parse(["root"]).is_err());
        assert_eq!(s.with(Role::Owner).bits() & 16, 0, "Owner is never stored");
    }
}
