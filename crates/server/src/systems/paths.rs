//! Every path that gives anyone a role on a system, for its owner: direct authorisations
//! (whoever granted them) and every user group that holds the system, with the group's
//! members and their roles. The owner can withdraw any of those authorisations and take the
//! system out of any group; both take effect on the next request (access is computed per
//! request in `access`).

use crate::access::{Owner, RoleSet};
use crate::audit::Event;
use crate::context::Ctx;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use serde::Serialize;
use utoipa::ToSchema;

/// A direct authorisation on the system.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthorisationPath {
    pub id: String,
    /// The authorised user's e-mail address.
    pub user: String,
    /// Role keys: `administrator`, `monitoring`, `backup`, `call_data`.
    pub roles: Vec<&'static str>,
    /// Who granted it.
    pub granted_by: String,
    pub created_at_ms: i64,
}

/// A member of a group that holds the system.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupMemberPath {
    pub user: String,
    pub roles: Vec<&'static str>,
}

/// A user group that holds the system.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupPath {
    pub group_id: String,
    pub name: String,
    /// The group owner's e-mail address.
    pub owner: String,
    pub public: bool,
    /// Who added the system to the group, and when.
    pub added_by: String,
    pub added_at_ms: i64,
    pub members: Vec<GroupMemberPath>,
}

/// Everyone's way to the system besides ownership.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessPaths {
    /// The owner's e-mail address.
    pub owner: String,
    pub authorisations: Vec<AuthorisationPath>,
    pub groups: Vec<GroupPath>,
}

fn keys(bits: i64) -> Vec<&'static str> {
    RoleSet::from_bits(bits & 0b1111)
        .roles()
        .into_iter()
        .map(|r| r.key())
        .collect()
}

/// Role labels for a page.
pub fn labels(keys: &[&'static str], tr: &crate::i18n::Tr) -> String {
    keys.iter()
        .filter_map(|k| crate::access::Role::from_key(k))
        .map(|r| r.label(tr))
        .collect::<Vec<_>>()
        .join(", ")
}

/// All paths to the owner's system.
pub async fn of(st: &AppState, cap: &Owner) -> AppResult<AccessPaths> {
    let id = &cap.system().id;
    let owner = email(&st.db, &cap.system().owner_id).await?;
    let auths: Vec<(String, String, i64, String, i64)> = sqlx::query_as(
        "SELECT a.id, u.email, a.roles, g.email, a.created_at FROM authorisations a \
         JOIN users u ON u.id = a.user_id JOIN users g ON g.id = a.granter_id \
         WHERE a.system_id = $1 ORDER BY u.email, g.email",
    )
    .bind(id)
    .fetch_all(&st.db.pool)
    .await?;
    let groups: Vec<(String, String, String, i64, String, i64)> = sqlx::query_as(
        "SELECT g.id, g.name, o.email, g.public, COALESCE(b.email, gs.added_by), gs.added_at \
         FROM group_systems gs JOIN user_groups g ON g.id = gs.group_id \
         JOIN users o ON o.id = g.owner_id LEFT JOIN users b ON b.id = gs.added_by \
         WHERE gs.system_id = $1 ORDER BY g.name",
    )
    .bind(id)
    .fetch_all(&st.db.pool)
    .await?;
    let members: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT gm.group_id, u.email, gm.roles FROM group_members gm \
         JOIN users u ON u.id = gm.user_id \
         JOIN group_systems gs ON gs.group_id = gm.group_id \
         WHERE gs.system_id = $1 ORDER BY u.email",
    )
    .bind(id)
    .fetch_all(&st.db.pool)
    .await?;
    Ok(AccessPaths {
        owner,
        authorisations: auths
            .into_iter()
            .map(|(id, user, roles, granted_by, created)| AuthorisationPath {
                id,
                user,
                roles: keys(roles),
                granted_by,
                created_at_ms: created,
            })
            .collect(),
        groups: groups
            .into_iter()
            .map(|(gid, name, owner, public, added_by, added_at)| GroupPath {
                members: members
                    .iter()
                    .filter(|(g, _, _)| *g == gid)
                    .map(|(_, user, roles)| GroupMemberPath {
                        user: user.clone(),
                        roles: keys(*roles),
                    })
                    .collect(),
                group_id: gid,
                name,
                owner,
                public: public != 0,
                added_by,
                added_at_ms: added_at,
            })
            .collect(),
    })
}

async fn email(db: &Db, user_id: &str) -> AppResult<String> {
    let row: Option<(String,)> = sqlx::query_as("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|(e,)| e).unwrap_or_default())
}

/// Takes the owner's system out of a group, whoever added it there.
pub async fn remove_from_group(
    st: &AppState,
    ctx: &Ctx,
    cap: &Owner,
    group_id: &str,
) -> AppResult<()> {
    let n = crate::groups::store::remove_system(&st.db, group_id, &cap.system().id).await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    tracing::info!(system = %cap.system().id, group = %group_id, "system removed from a group by its owner");
    let ev = Event::new("group.system_removed")
        .system(cap.id())
        .arg("group", group_id);
    ctx.audit(st, ev).await
}

/// Withdraws an authorisation on the owner's system, whoever granted it.
pub async fn withdraw(
    st: &AppState,
    ctx: &Ctx,
    cap: &Owner,
    authorisation_id: &str,
) -> AppResult<()> {
    if !crate::authorisations::store::delete_on_system(&st.db, cap, authorisation_id).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(system = %cap.system().id, authorisation = %authorisation_id, "authorisation withdrawn by the system's owner");
    let ev = Event::new("authorisation.withdrawn")
        .system(cap.id())
        .arg("authorisation", authorisation_id);
    ctx.audit(st, ev).await
}
