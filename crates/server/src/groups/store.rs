//! Queries on `user_groups`, `group_members` and `group_systems`.

use crate::db::Db;
use crate::error::AppResult;

/// A group as the lists show it, from the point of view of one user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub id: String,
    pub company_id: String,
    pub owner_id: String,
    pub owner_email: String,
    pub name: String,
    pub description: String,
    pub default_roles: i64,
    pub public: i64,
    pub created_at: i64,
    pub members: i64,
    pub systems: i64,
    /// 1 when the viewing user is a member.
    pub is_member: i64,
}

impl GroupRow {
    /// Anyone in the company may see and join it.
    pub fn is_public(&self) -> bool {
        self.public != 0
    }

    /// The user the row was read for is a member.
    pub fn viewer_is_member(&self) -> bool {
        self.is_member > 0
    }
}

const SELECT: &str = "SELECT g.id, g.company_id, g.owner_id, u.email AS owner_email, g.name, \
    g.description, g.default_roles, g.public, g.created_at, \
    (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS members, \
    (SELECT COUNT(*) FROM group_systems s WHERE s.group_id = g.id) AS systems, \
    (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id AND m.user_id = $1) AS is_member \
    FROM user_groups g JOIN users u ON u.id = g.owner_id";

/// Groups `user_id` may see: own, public ones of the company, private ones they belong to.
pub async fn visible(db: &Db, company_id: &str, user_id: &str) -> AppResult<Vec<GroupRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE g.company_id = $2 AND (g.owner_id = $1 OR g.public = 1 OR EXISTS \
         (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = $1))"
    ))
    .bind(user_id)
    .bind(company_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn by_id(db: &Db, id: &str, viewer_id: &str) -> AppResult<Option<GroupRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE g.id = $2"))
        .bind(viewer_id)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?)
}

pub struct NewGroup<'a> {
    pub id: &'a str,
    pub company_id: &'a str,
    pub owner_id: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub default_roles: i64,
    pub public: bool,
    pub now: i64,
}

pub async fn insert(db: &Db, g: &NewGroup<'_>) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO user_groups (id, company_id, owner_id, name, description, default_roles, public, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(g.id)
    .bind(g.company_id)
    .bind(g.owner_id)
    .bind(g.name)
    .bind(g.description)
    .bind(g.default_roles)
    .bind(g.public as i64)
    .bind(g.now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO group_members (group_id, user_id, roles, added_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(g.id)
    .bind(g.owner_id)
    .bind(g.default_roles)
    .bind(g.now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn update(
    db: &Db,
    id: &str,
    name: &str,
    description: &str,
    default_roles: i64,
    public: bool,
) -> AppResult<()> {
    sqlx::query("UPDATE user_groups SET name = $1, description = $2, default_roles = $3, public = $4 WHERE id = $5")
        .bind(name)
        .bind(description)
        .bind(default_roles)
        .bind(public as i64)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, id: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM user_groups WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub roles: i64,
}

pub async fn members(db: &Db, group_id: &str) -> AppResult<Vec<MemberRow>> {
    Ok(sqlx::query_as(
        "SELECT m.user_id, u.email, m.roles FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.group_id = $1 ORDER BY u.email",
    )
    .bind(group_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn add_member(
    db: &Db,
    group_id: &str,
    user_id: &str,
    roles: i64,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO group_members (group_id, user_id, roles, added_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(group_id)
    .bind(user_id)
    .bind(roles)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn set_member_roles(
    db: &Db,
    group_id: &str,
    user_id: &str,
    roles: i64,
) -> AppResult<u64> {
    Ok(
        sqlx::query("UPDATE group_members SET roles = $1 WHERE group_id = $2 AND user_id = $3")
            .bind(roles)
            .bind(group_id)
            .bind(user_id)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}

pub async fn remove_member(db: &Db, group_id: &str, user_id: &str) -> AppResult<u64> {
    Ok(
        sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group_id)
            .bind(user_id)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupSystemRow {
    pub system_id: String,
    pub serial: String,
    pub name: String,
}

pub async fn systems(db: &Db, group_id: &str) -> AppResult<Vec<GroupSystemRow>> {
    Ok(sqlx::query_as(
        "SELECT gs.system_id, s.serial, s.name FROM group_systems gs JOIN systems s ON s.id = gs.system_id \
         WHERE gs.group_id = $1 ORDER BY s.name",
    )
    .bind(group_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Puts a system the adder manages (the capability proves it) into a group.
pub(crate) async fn add_system(
    db: &Db,
    group_id: &str,
    system: &crate::access::Manager,
    by: &str,
    now: i64,
) -> AppResult<()> {
    let system_id = system.id();
    sqlx::query("INSERT INTO group_systems (group_id, system_id, added_by, added_at) VALUES ($1, $2, $3, $4)")
        .bind(group_id)
        .bind(system_id)
        .bind(by)
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn remove_system(db: &Db, group_id: &str, system_id: &str) -> AppResult<u64> {
    Ok(
        sqlx::query("DELETE FROM group_systems WHERE group_id = $1 AND system_id = $2")
            .bind(group_id)
            .bind(system_id)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}
