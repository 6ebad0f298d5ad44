//! The systems a user may see, as one page of a list filtered, sorted and paged in the
//! database: the visibility rule of [`super::visible_systems`] (same company; owner, an
//! authorisation or a group) and the user's roles are part of the SQL, so a page of a fleet
//! of 10,000 systems reads one page of rows, not the fleet.

use super::cap::{Feature, SystemAccess};
use super::roles::{Role, RoleSet};
use crate::auth::CurrentUser;
use crate::companies::store::Marker;
use crate::db::{Bind, escape_like};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::paging::{self, KeyValue, PageKey};

/// The columns a systems list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemSort {
    Name,
    Serial,
    Registered,
    State,
    Registrations,
    Roles,
}

impl SystemSort {
    /// The list column key (`?sort=`), as in `systems::views::COLUMNS`.
    pub fn parse(key: &str) -> SystemSort {
        match key {
            "serial" => SystemSort::Serial,
            "registered" => SystemSort::Registered,
            "state" => SystemSort::State,
            "registrations" => SystemSort::Registrations,
            "roles" => SystemSort::Roles,
            _ => SystemSort::Name,
        }
    }

    /// Whether the list is ordered by text (else by a number): what a cursor must hold.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            SystemSort::Name | SystemSort::Serial | SystemSort::State
        )
    }
}

/// What one page asks for.
pub struct SystemQuery<'a> {
    /// Filter text as typed: name, serial number, the state's name or a role's name.
    pub text: &'a str,
    pub sort: SystemSort,
    pub desc: bool,
    /// The `cursor` parameter; one that is not a key of this sort starts at the first page.
    pub cursor: Option<&'a str>,
    pub limit: i64,
}

/// One page of visible systems.
pub struct SystemPage {
    pub rows: Vec<SystemAccess>,
    /// Systems that match the filter.
    pub total: i64,
    /// Systems the user may see, filter or not.
    pub all: i64,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// A row of the page: the list is sorted and cut on narrow rows (id, roles, sort value;
/// sorting 10,000 narrow rows instead of 10,000 whole systems), then the page's rows are
/// joined to their systems in the same statement.
#[derive(sqlx::FromRow)]
struct Listed {
    #[sqlx(flatten)]
    system: crate::systems::store::SystemRow,
    role_bits: i64,
    sort_t: Option<String>,
    sort_i: Option<i64>,
}

/// One page of the systems `user` may see, with their roles.
pub async fn visible_page(
    st: &AppState,
    user: &CurrentUser,
    q: &SystemQuery<'_>,
) -> AppResult<SystemPage> {
    let mut binds = vec![
        Bind::Text(user.company_id.to_string()),
        Bind::Text(user.id.to_string()),
        Bind::Int(st.clock.now_ms()),
        Bind::Int(st.config.min_managed_firmware.rank()),
    ];
    let kind = crate::systems::state::kind_sql("$3", "$4");
    let role_bits = "(CASE WHEN s.owner_id = $2 THEN 16 ELSE 0 END | COALESCE(r.bits, 0))";
    let (sort_t, sort_i) = match q.sort {
        SystemSort::Name => (
            "LOWER(s.name)".to_owned(),
            "CAST(NULL AS BIGINT)".to_owned(),
        ),
        SystemSort::Serial => ("s.serial".to_owned(), "CAST(NULL AS BIGINT)".to_owned()),
        SystemSort::State => (
            format!("{kind} || ' ' || LOWER(s.name)"),
            "CAST(NULL AS BIGINT)".to_owned(),
        ),
        SystemSort::Registered => (
            "CAST(NULL AS TEXT)".to_owned(),
            "COALESCE(s.initial_registration_at, 9223372036854775807)".to_owned(),
        ),
        SystemSort::Registrations => (
            "CAST(NULL AS TEXT)".to_owned(),
            format!(
                "(SELECT COUNT(*) FROM phones p WHERE p.system_id = s.id AND p.status IN {})",
                crate::registrations::store::PHONES_OK
            ),
        ),
        SystemSort::Roles => ("CAST(NULL AS TEXT)".to_owned(), role_bits.to_owned()),
    };
    let inner = format!(
        "SELECT * FROM (SELECT s.id, s.name, s.serial, {role_bits} AS role_bits, \
           {kind} AS state_kind, {sort_t} AS sort_t, {sort_i} AS sort_i \
           FROM systems s LEFT JOIN {granted} r ON r.system_id = s.id \
           WHERE s.company_id = $1 AND (s.owner_id = $2 OR COALESCE(r.bits, 0) <> 0)) x",
        granted = granted_sql("$2")
    );
    let mut conds = vec!["1 = 1".to_owned()];
    let needle = paging::needle(q.text);
    if !needle.is_empty() {
        binds.push(Bind::Text(format!("%{}%", escape_like(&needle))));
        let like = format!("${}", binds.len());
        let mut any = vec![
            format!("LOWER(x.name) LIKE {like} ESCAPE '\\'"),
            format!("LOWER(x.serial) LIKE {like} ESCAPE '\\'"),
        ];
        let tr = user.tr();
        let kinds = crate::systems::state::kinds_named(&needle, &tr);
        if !kinds.is_empty() {
            let list: Vec<String> = kinds.iter().map(|k| format!("'{k}'")).collect();
            any.push(format!("x.state_kind IN ({})", list.join(",")));
        }
        let mask = roles_named(&needle, &tr);
        if mask != 0 {
            any.push(format!("(x.role_bits & {mask}) <> 0"));
        }
        conds.push(format!("({})", any.join(" OR ")));
    }
    let (all, total) = if needle.is_empty() {
        let n = visible_count(st, user, &binds[..2]).await?;
        (n, n)
    } else {
        let count_sql = format!(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) FROM ({inner}) x",
            conds.join(" AND ")
        );
        crate::db::query_as::<(i64, i64)>(&count_sql, &binds)
            .fetch_one(&st.db.pool)
            .await?
    };

    let value = if q.sort.is_text() {
        "x.sort_t"
    } else {
        "x.sort_i"
    };
    let after = q
        .cursor
        .filter(|c| !c.is_empty())
        .and_then(|c| PageKey::decode(c, q.sort.is_text()));
    if let Some(key) = &after {
        conds.push(paging::after_sql(value, "x.id", q.desc, key, &mut binds));
    }
    let dir = if q.desc { "DESC" } else { "ASC" };
    let outer = value.replace("x.", "p.");
    let sql = format!(
        "SELECT {cols}, p.role_bits, p.sort_t, p.sort_i FROM \
         (SELECT x.id, x.role_bits, x.sort_t, x.sort_i FROM ({inner}) x WHERE {} \
          ORDER BY {value} {dir}, x.id {dir} LIMIT {}) p \
         JOIN systems s2 ON s2.id = p.id ORDER BY {outer} {dir}, p.id {dir}",
        conds.join(" AND "),
        q.limit.clamp(1, paging::MAX_ROWS) + 1,
        cols = crate::systems::store::cols_of("s2"),
    );
    let query = crate::db::query_as::<Listed>(&sql, &binds);
    let mut rows = query.fetch_all(&st.db.pool).await?;
    let next = paging::split(&mut rows, q.limit.clamp(1, paging::MAX_ROWS), |l| PageKey {
        value: KeyValue::of_row(&l.sort_t, l.sort_i),
        id: l.system.id.to_string(),
    });
    Ok(SystemPage {
        rows: rows
            .into_iter()
            .map(|l| SystemAccess::new(l.system, RoleSet::from_bits(l.role_bits)))
            .collect(),
        total,
        all,
        next,
    })
}

/// How many systems `user` may see, unfiltered (`binds`: company and user as `$1`, `$2`):
/// kept per user until the company's access marker moves (`counts.rs`). Counted as the
/// systems she owns (on an index alone) plus the others she holds a role on (found from her
/// few grants), without working out any state or joining every system: at 10,000 systems
/// the count was most of a request.
async fn visible_count(st: &AppState, user: &CurrentUser, binds: &[Bind]) -> AppResult<i64> {
    let user_id = user.id.to_string();
    let company = user.company_id.as_str();
    let seq = crate::companies::store::marker(&st.db, company, Marker::Access).await?;
    if let Some(n) = st.visible_counts.get(&user_id, seq) {
        return Ok(n);
    }
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM systems WHERE company_id = $1 AND owner_id = $2) + \
           (SELECT COUNT(*) FROM {granted} r JOIN systems s ON s.id = r.system_id \
            WHERE s.company_id = $1 AND s.owner_id <> $2 AND r.bits <> 0)",
        granted = granted_sql("$2")
    );
    let (n,) = crate::db::query_as::<(i64,)>(&sql, binds)
        .fetch_one(&st.db.pool)
        .await?;
    st.visible_counts.put(&user_id, seq, n);
    Ok(n)
}

/// The roles `user_id` holds per system through authorisations and groups, as a derived
/// table `(system_id, bits)` (`user` is the placeholder bound to the user id).
fn granted_sql(user: &str) -> String {
    format!(
        "(SELECT system_id, \
           (MAX(roles & 1) | MAX(roles & 2) | MAX(roles & 4) | MAX(roles & 8)) AS bits \
         FROM (SELECT a.system_id, a.roles FROM authorisations a WHERE a.user_id = {user} \
               UNION ALL \
               SELECT gs.system_id, gm.roles FROM group_members gm \
               JOIN group_systems gs ON gs.group_id = gm.group_id WHERE gm.user_id = {user}) g \
         GROUP BY system_id)"
    )
}

/// A subquery of the ids of the systems on which `user` may use feature `F` now: the same
/// rule as [`super::require`] (visible, a role that permits `F`, and for a gated feature
/// active maintenance and the managed firmware), for lists over many systems. Adds its
/// binds to `binds`.
pub fn feature_systems_sql<F: Feature>(
    st: &AppState,
    user: &CurrentUser,
    binds: &mut Vec<Bind>,
) -> String {
    let mut p = |b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let company = p(Bind::Text(user.company_id.to_string()));
    let uid = p(Bind::Text(user.id.to_string()));
    let mask = ALL_ROLES
        .into_iter()
        .filter(|r| F::permits(RoleSet::default().with(*r)))
        .fold(0, |m, r| m | r.bit());
    let gate = if F::GATED {
        let firmware = if F::NEEDS_MANAGED_FIRMWARE {
            let min = p(Bind::Int(st.config.min_managed_firmware.rank()));
            format!(" AND COALESCE(s.firmware_rank, 0) >= {min}")
        } else {
            String::new()
        };
        format!(" AND s.secret_hash IS NOT NULL AND s.maintenance_active = 1{firmware}")
    } else {
        String::new()
    };
    ids_sql(&company, &uid, mask, &gate)
}

/// A subquery of the ids of the systems the user may manage (owner or Administrator), for
/// lists scoped to them (the audit log); `company` and `user` are the placeholders bound to
/// the company and user ids.
pub fn managed_systems_sql(company: &str, user: &str) -> String {
    let mask = Role::Owner.bit() | Role::Administrator.bit();
    ids_sql(company, user, mask, "")
}

/// Up to `limit` of the systems the user may manage, by name: `(id, name, serial)`, for a
/// form's choice of system (a form offers a text field instead when there are more).
pub async fn managed_choices(
    st: &AppState,
    user: &CurrentUser,
    limit: i64,
) -> AppResult<Vec<(String, String, String)>> {
    let sql = format!(
        "SELECT id, name, serial FROM systems WHERE company_id = $1 AND id IN ({}) \
         ORDER BY LOWER(name), id LIMIT {}",
        managed_systems_sql("$1", "$2"),
        limit.max(0)
    );
    Ok(sqlx::query_as(&sql)
        .bind(user.company_id.to_string())
        .bind(user.id.to_string())
        .fetch_all(&st.db.pool)
        .await?)
}

fn ids_sql(company: &str, uid: &str, mask: i64, gate: &str) -> String {
    format!(
        "SELECT s.id FROM systems s LEFT JOIN {granted} r ON r.system_id = s.id \
         WHERE s.company_id = {company} \
         AND ((CASE WHEN s.owner_id = {uid} THEN 16 ELSE 0 END | COALESCE(r.bits, 0)) & {mask}) <> 0{gate}",
        granted = granted_sql(uid)
    )
}

const ALL_ROLES: [Role; 5] = [
    Role::Owner,
    Role::Administrator,
    Role::Monitoring,
    Role::Backup,
    Role::CallData,
];

/// The role bits (Owner included) whose name in the reader's language contains `needle`.
fn roles_named(needle: &str, tr: &crate::i18n::Tr) -> i64 {
    ALL_ROLES
        .into_iter()
        .filter(|r| r.label(tr).to_lowercase().contains(needle))
        .fold(0, |m, r| m | r.bit())
}
