//! The one place that decides what a user may do with a system.
//!
//! Handlers never check rights themselves: they ask [`system`] for a [`SystemAccess`], which
//! exists only if the user may see the system, and service functions for protected actions
//! take the capability value that proves the needed role ([`Owner`], [`Manager`]).
//! A system of another company, or one the user has no access to, is "not found".

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::systems::store::{self, SystemRow};

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
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Administrator => "Administrator",
            Role::Monitoring => "Monitoring",
            Role::Backup => "Backup",
            Role::CallData => "Call data",
        }
    }
}

/// Proof that a user may see a system, with the roles they hold on it.
#[derive(Debug, Clone)]
pub struct SystemAccess {
    system: SystemRow,
    roles: Vec<Role>,
}

/// Proof that the user owns the system (only the owner deletes it).
#[derive(Debug)]
pub struct Owner(SystemRow);

/// Proof that the user may manage the system's pairing (owner or administrator).
#[derive(Debug)]
pub struct Manager(SystemRow);

impl SystemAccess {
    pub fn system(&self) -> &SystemRow {
        &self.system
    }

    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role) || self.roles.contains(&Role::Owner)
    }

    pub fn owner(self) -> AppResult<Owner> {
        if self.roles.contains(&Role::Owner) {
            Ok(Owner(self.system))
        } else {
            Err(AppError::Forbidden(format!(
                "Only the owner of '{}' (who added it) can delete it.",
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

impl Manager {
    pub fn system(&self) -> &SystemRow {
        &self.0
    }
}

fn roles_of(user: &CurrentUser, s: &SystemRow) -> Vec<Role> {
    if s.company_id != user.company_id {
        return Vec::new();
    }
    if s.owner_id == user.id {
        vec![Role::Owner]
    } else {
        Vec::new()
    }
}

/// The user's access to system `id`, or `NotFound`.
pub async fn system(st: &AppState, user: &CurrentUser, id: &str) -> AppResult<SystemAccess> {
    let system = store::by_id(&st.db, id).await?.ok_or(AppError::NotFound)?;
    let roles = roles_of(user, &system);
    if roles.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(SystemAccess { system, roles })
}

/// Every system the user may see.
pub async fn visible_systems(st: &AppState, user: &CurrentUser) -> AppResult<Vec<SystemAccess>> {
    let rows = store::owned_by(&st.db, &user.id).await?;
    Ok(rows
        .into_iter()
        .filter_map(|system| {
            let roles = roles_of(user, &system);
            (!roles.is_empty()).then_some(SystemAccess { system, roles })
        })
        .collect())
}
