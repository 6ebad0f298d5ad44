//! Unique-constraint violations, named: each constraint of the schema maps to the message a
//! user can act on. PostgreSQL reports the constraint's name; SQLite reports the columns
//! ("UNIQUE constraint failed: users.email"); both are listed per constraint.

/// `(PostgreSQL constraint name, SQLite columns, message)`.
const CONFLICTS: &[(&str, &str, &str)] = &[
    (
        "companies_name_key",
        "companies.name",
        "A company with this name exists already.",
    ),
    (
        "users_email_key",
        "users.email",
        "A user with this e-mail address exists already.",
    ),
    (
        "users_oidc_subject",
        "users.oidc_subject",
        "This single sign-on account is linked to another user already.",
    ),
    (
        "systems_company_id_serial_key",
        "systems.company_id, systems.serial",
        "A system with this serial number exists already in your company.",
    ),
    (
        "authorisations_granter_id_user_id_system_id_key",
        "authorisations.granter_id, authorisations.user_id, authorisations.system_id",
        "You have authorised this user for this system already; edit that authorisation instead.",
    ),
    (
        "user_groups_company_id_name_key",
        "user_groups.company_id, user_groups.name",
        "A group with this name exists already in your company.",
    ),
    (
        "group_members_pkey",
        "group_members.group_id, group_members.user_id",
        "This user is a member of the group already.",
    ),
    (
        "group_systems_pkey",
        "group_systems.group_id, group_systems.system_id",
        "This system is in the group already.",
    ),
];

/// The message for a unique violation, from the constraint name (PostgreSQL) or the
/// database's message (SQLite); a general one for constraints not listed.
pub fn message(constraint: Option<&str>, db_message: &str) -> String {
    let found = CONFLICTS.iter().find(|(pg, sqlite, _)| {
        constraint == Some(*pg) || db_message.ends_with(&format!("failed: {sqlite}"))
    });
    match found {
        Some((_, _, m)) => (*m).to_owned(),
        None => "This entry exists already.".to_owned(),
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
        assert!(pg.contains("group with this name"));
        assert_eq!(
            message(None, "something else"),
            "This entry exists already."
        );
        // Not fooled by a longer column list that merely ends the same way.
        assert_ne!(
            message(None, "UNIQUE constraint failed: users.email"),
            message(None, "UNIQUE constraint failed: companies.name")
        );
    }
}
