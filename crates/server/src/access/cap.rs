//! Capabilities: [`SystemAccess`] proves that a user may see a system; [`Cap<F>`] proves that
//! they may use feature `F` of it now (role, and for gated features active maintenance and a
//! managed firmware). Neither can be made outside this module: the fields are private and
//! the only constructors are `access::system` and `access::require` (or
//! [`SystemAccess::require`]). Services and the store functions that act on a system take a
//! `Cap`, so a handler that skips the check does not compile:
//!
//! ```no_run
//! use zentrale_server::access::{self, feature::Manage};
//! // The way: ask for the capability, hand it on.
//! async fn rename(
//!     st: &zentrale_server::AppState,
//!     user: &zentrale_server::context::Ctx,
//! ) -> zentrale_server::AppResult<()> {
//!     let id = zentrale_server::ids::SystemId::from_text("sys");
//!     let cap = access::require::<Manage>(st, user, &id).await?;
//!     zentrale_server::systems::service::rename(st, user, cap, "New name").await
//! }
//! ```
//!
//! ```compile_fail
//! use zentrale_server::access;
//! // Having seen the system is not the right to rename it:
//! async fn rename(
//!     st: &zentrale_server::AppState,
//!     user: &zentrale_server::context::Ctx,
//! ) -> zentrale_server::AppResult<()> {
//!     let id = zentrale_server::ids::SystemId::from_text("sys");
//!     let seen = access::system(st, user, &id).await?;
//!     zentrale_server::systems::service::rename(st, user, seen, "New name").await
//! }
//! ```
//!
//! ```compile_fail
//! use zentrale_server::access::{Cap, feature::Manage};
//! // Nor can a handler make the proof itself.
//! fn forge(row: zentrale_server::systems::store::SystemRow) -> Cap<Manage> {
//!     Cap { system: row, roles: Default::default(), feature: std::marker::PhantomData }
//! }
//! ```

use super::roles::{Role, RoleSet};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::systems::row::SystemRow;
use std::marker::PhantomData;

/// A feature of a system, as the manual's roles grant it.
pub trait Feature {
    /// Whether these roles (Owner included) permit the feature.
    fn permits(roles: RoleSet) -> bool;
    /// Why it is refused, for a person.
    fn refusal(system_name: &str) -> crate::i18n::Msg;
    /// Needs active maintenance and a firmware the control center manages.
    const GATED: bool = false;
    /// For a gated feature: needs the managed minimum firmware too (a firmware update does
    /// not: it is how a PBX gets there).
    const NEEDS_MANAGED_FIRMWARE: bool = true;
}

/// The features.
pub mod feature {
    use crate::access::cap::Feature;
    use crate::access::roles::{Role, RoleSet};

    fn has(roles: RoleSet, role: Role) -> bool {
        roles.contains(role) || roles.contains(Role::Owner)
    }

    /// Only the owner (who added the system): deleting it, seeing and undoing every path.
    pub struct Own;
    impl Feature for Own {
        fn permits(roles: RoleSet) -> bool {
            roles.contains(Role::Owner)
        }
        fn refusal(name: &str) -> crate::i18n::Msg {
            crate::msg!("refusal-owner", name = name)
        }
    }

    /// Owner or Administrator: pairing, renaming, granting authorisations, adding to groups.
    pub struct Manage;
    impl Feature for Manage {
        fn permits(roles: RoleSet) -> bool {
            has(roles, Role::Administrator)
        }
        fn refusal(name: &str) -> crate::i18n::Msg {
            crate::msg!("refusal-manage", name = name)
        }
    }

    /// Monitoring and alerts: Monitoring or Administrator role; needs maintenance.
    pub struct Monitoring;
    impl Feature for Monitoring {
        fn permits(roles: RoleSet) -> bool {
            has(roles, Role::Monitoring) || has(roles, Role::Administrator)
        }
        fn refusal(name: &str) -> crate::i18n::Msg {
            crate::msg!("refusal-monitoring", name = name)
        }
        const GATED: bool = true;
    }

    /// Registration status: any access to the system; needs maintenance.
    pub struct Registrations;
    impl Feature for Registrations {
        fn permits(roles: RoleSet) -> bool {
            !roles.is_empty()
        }
        fn refusal(name: &str) -> crate::i18n::Msg {
            crate::msg!("refusal-registrations", name = name)
        }
        const GATED: bool = true;
    }

    /// Firmware updates: Administrator role; needs maintenance, not the managed firmware.
    pub struct Firmware;
    impl Feature for Firmware {
        fn permits(roles: RoleSet) -> bool {
            has(roles, Role::Administrator)
        }
        fn refusal(name: &str) -> crate::i18n::Msg {
            crate::msg!("refusal-manage", name = name)
        }
        const GATED: bool = true;
        const NEEDS_MANAGED_FIRMWARE: bool = false;
    }

    /// Remote backups: Backup or Administrator role; needs maintenance.
    pub struct Backup;
    impl Feature for Backup {
        fn permits(roles: RoleSet) -> bool {
            has(roles, Role::Backup) || has(roles, Role::Administrator)
        }
        fn refusal(name: &str) -> crate::i18n::Msg {
            crate::msg!("refusal-backup", name = name)
        }
        const GATED: bool = true;
    }

    /// Call data: Call data or Administrator role; needs maintenance.
    pub struct CallData;
    impl Feature for CallData {
        fn permits(roles: RoleSet) -> bool {
            has(roles, Role::CallData) || has(roles, Role::Administrator)
        }
        fn refusal(name: &str) -> crate::i18n::Msg {
            crate::msg!("refusal-call-data", name = name)
        }
        const GATED: bool = true;
    }

    /// Remote configuration: Administrator role; needs maintenance.
    pub struct RemoteConfig;
    impl Feature for RemoteConfig {
        fn permits(roles: RoleSet) -> bool {
            has(roles, Role::Administrator)
        }
        fn refusal(name: &str) -> crate::i18n::Msg {
            crate::msg!("refusal-remote-config", name = name)
        }
        const GATED: bool = true;
    }
}

/// Proof that a user may see a system, with the roles they hold on it.
#[derive(Debug, Clone)]
pub struct SystemAccess {
    system: SystemRow,
    roles: RoleSet,
}

/// Proof that the user may use feature `F` of the system now.
#[derive(Debug)]
pub struct Cap<F> {
    system: SystemRow,
    roles: RoleSet,
    feature: PhantomData<fn() -> F>,
}

/// Owner only.
pub type Owner = Cap<feature::Own>;
/// Owner or Administrator.
pub type Manager = Cap<feature::Manage>;
/// Monitoring or Administrator, with maintenance.
pub type Monitor = Cap<feature::Monitoring>;

impl<F> Cap<F> {
    pub fn system(&self) -> &SystemRow {
        &self.system
    }

    /// The system's id (a value that came out of the check).
    pub fn id(&self) -> &str {
        &self.system.id
    }

    pub fn roles(&self) -> RoleSet {
        self.roles
    }
}

impl SystemAccess {
    pub(super) fn new(system: SystemRow, roles: RoleSet) -> Self {
        SystemAccess { system, roles }
    }

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

    /// The capability for feature `F`: the role first (403), then for a gated feature the
    /// maintenance and firmware (409 with what to do).
    pub fn require<F: Feature>(self, st: &AppState) -> AppResult<Cap<F>> {
        if !F::permits(self.roles) {
            return Err(AppError::Forbidden(F::refusal(&self.system.name)));
        }
        if F::GATED {
            let min = if F::NEEDS_MANAGED_FIRMWARE {
                st.config.min_managed_firmware
            } else {
                zentrale_protocol::FirmwareVersion::new(0, 0, 0)
            };
            crate::systems::gating::require_maintenance(&self.system, min)?;
        }
        Ok(Cap {
            system: self.system,
            roles: self.roles,
            feature: PhantomData,
        })
    }

    /// Owner only (not gated).
    pub fn owner(self) -> AppResult<Owner> {
        self.ungated()
    }

    /// Owner or Administrator (not gated).
    pub fn manager(self) -> AppResult<Manager> {
        self.ungated()
    }

    fn ungated<F: Feature>(self) -> AppResult<Cap<F>> {
        if !F::permits(self.roles) {
            return Err(AppError::Forbidden(F::refusal(&self.system.name)));
        }
        Ok(Cap {
            system: self.system,
            roles: self.roles,
            feature: PhantomData,
        })
    }
}
