//! The grantable roles as form choices (checkboxes or a select), marked by a current set.

use crate::access::{Role, RoleSet};

pub struct RoleOption {
    pub key: &'static str,
    pub label: String,
    /// Ticked (checkboxes) or selected (select box).
    pub selected: bool,
}

pub fn role_options(current: RoleSet, tr: &crate::i18n::Tr) -> Vec<RoleOption> {
    Role::GRANTABLE
        .iter()
        .map(|r| RoleOption {
            key: r.key(),
            label: r.label(tr),
            selected: current.contains(*r),
        })
        .collect()
}
