//! Unique-constraint violations, named: each constraint of the schema maps to the message a
//! user can act on. PostgreSQL reports the constraint's name; SQLite reports the columns
//! ("UNIQUE constraint failed: users.email"); both are listed per constraint.

use crate::i18n::Msg;

/// `(PostgreSQL constraint name, SQLite columns, message key)`.
const CONFLICTS: &[(&str, &str, &str)] = &[
    (
        "companies_name_key",
        "companies.name",
        "conflict-company-name",
    ),
    ("users_email_key", "users.email", "conflict-user-email"),
    (
        "users_oidc_subject",
        "users.oidc_subject",
        "conflict-oidc-subject",
    ),
    (
        "systems_company_id_serial_key",
        "systems.company_id, systems.serial",
        "conflict-system-serial",
    ),
    (
        "authorisations_granter_id_user_id_system_id_key",
        "authorisations.granter_id, authorisations.user_id, authorisations.system_id",
        "conflict-authorisation",
    ),
    (
        "user_groups_company_id_name_key",
        "user_groups.company_id, user_groups.name",
        "conflict-group-name",
    ),
    (
        "group_members_pkey",
        "group_members.group_id, group_members.user_id",
        "conflict-group-member",
    ),
    (
        "group_systems_pkey",
        "group_systems.group_id, group_systems.system_id",
        "conflict-group-system",
    ),
];

/// The message for a unique violation, from the constraint name (PostgreSQL) or the
/// database's message (SQLite); a general one for constraints not listed.
pub fn message(constraint: Option<&str>, db_message: &str) -> Msg {
    let found = CONFLICTS.iter().find(|(pg, sqlite, _)| {
        constraint == Some(*pg) || db_message.ends_with(&format!("failed: {sqlite}"))
    });
    match found {
        Some((_, _, key)) => Msg::new(*key),
        None => Msg::new("conflict-exists"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_name_the_same_conflict() {
        let pg = message(
            Some("user_groups_company_id_name_key"),
            "duplicate key value",
        );
        let sqlite = message(
            None,
            "UNIQUE constraint failed: user_groups.company_id, user_groups.name",
        );
        assert_eq!(pg, sqlite);
        assert_eq!(pg.key, "conflict-group-name");
        assert_eq!(message(None, "something else").key, "conflict-exists");
        // Not fooled by a longer column list that merely ends the same way.
        assert_ne!(
            message(None, "UNIQUE constraint failed: users.email"),
            message(None, "UNIQUE constraint failed: companies.name")
        );
    }
}
