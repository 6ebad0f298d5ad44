//! The roles of the manual and sets of them (stored as a bitmask).

use crate::error::{AppError, AppResult};

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

    /// The role's name in the reader's language (catalog key `role-{key}`).
    pub fn label(self, tr: &crate::i18n::Tr) -> String {
        tr.t(&format!("role-{}", self.key()))
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

    pub(super) fn bit(self) -> i64 {
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
                    return Err(AppError::BadRequest(crate::msg!(
                        "err-owner-role-cannot-granted"
                    )));
                }
                Some(r) => set = set.with(r),
                None => {
                    return Err(AppError::BadRequest(crate::msg!(
                        "err-not-role",
                        value = k.trim()
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

    pub fn labels(self, tr: &crate::i18n::Tr) -> String {
        self.roles()
            .iter()
            .map(|r| r.label(tr))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
