//! The systems a user may see, as one page of a list filtered, sorted and paged in the
//! database: the visibility rule of [`super::visible_systems`] (same company; owner, an
//! authorisation or a group) and the user's roles are part of the SQL, so a page of a fleet
//! of 10,000 systems reads one page of rows, not the fleet.

use super::cap::SystemAccess;
use super::roles::{Role, RoleSet};
use crate::auth::CurrentUser;
use crate::db::{Bind, escape_like};
use crate::error::AppResult;
use crate::state::AppState;
use crate::systems::row::SystemRow;
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

#[derive(sqlx::FromRow)]
struct Listed {
    #[sqlx(flatten)]
    system: SystemRow,
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
        SystemSort::Name => ("LOWER(s.name)".to_owned(), "CAST(NULL AS BIGINT)".to_owned()),
        SystemSort::Serial => ("s.serial".to_owned(), "CAST(NULL AS BIGINT)".to_owned()),
        SystemSort::State => (format!("{kind} || ' ' || LOWER(s.name)"), "CAST(NULL AS BIGINT)".to_owned()),
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
        "WITH g AS (\
           SELECT a.system_id, a.roles FROM authorisations a WHERE a.user_id = $2 \
           UNION ALL \
           SELECT gs.system_id, gm.roles FROM group_members gm \
           JOIN group_systems gs ON gs.group_id = gm.group_id WHERE gm.user_id = $2), \
         r AS (SELECT system_id, \
           (MAX(roles & 1) | MAX(roles & 2) | MAX(roles & 4) | MAX(roles & 8)) AS bits \
           FROM g GROUP BY system_id) \
         SELECT * FROM (SELECT s.*, {role_bits} AS role_bits, {kind} AS state_kind, \
           {sort_t} AS sort_t, {sort_i} AS sort_i \
           FROM systems s LEFT JOIN r ON r.system_id = s.id \
           WHERE s.company_id = $1 AND (s.owner_id = $2 OR COALESCE(r.bits, 0) <> 0)) x"
    );
    let mut conds = vec!["1 = 1".to_owned()];
    let needle = q.text.trim().to_lowercase();
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
    let count_sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) FROM ({inner}) x",
        conds.join(" AND ")
    );
    let mut count = sqlx::query_as::<_, (i64, i64)>(&count_sql);
    for b in &binds {
        count = b.bind_to_as(count);
    }
    let (all, total) = count.fetch_one(&st.db.pool).await?;

    let value = if q.sort.is_text() { "x.sort_t" } else { "x.sort_i" };
    let after = q
        .cursor
        .filter(|c| !c.is_empty())
        .and_then(|c| PageKey::decode(c, q.sort.is_text()));
    if let Some(key) = &after {
        conds.push(paging::after_sql(value, "x.id", q.desc, key, &mut binds));
    }
    let dir = if q.desc { "DESC" } else { "ASC" };
    let sql = format!(
        "{inner} WHERE {} ORDER BY {value} {dir}, x.id {dir} LIMIT {}",
        conds.join(" AND "),
        q.limit.clamp(1, paging::MAX_ROWS) + 1
    );
    let mut query = sqlx::query_as::<_, Listed>(&sql);
    for b in &binds {
        query = b.bind_to_as(query);
    }
    let mut rows = query.fetch_all(&st.db.pool).await?;
    let next = paging::split(&mut rows, q.limit.clamp(1, paging::MAX_ROWS), |l| PageKey {
        value: match (&l.sort_t, l.sort_i) {
            (Some(t), _) => KeyValue::Text(t.clone()),
            (None, i) => KeyValue::Int(i.unwrap_or_default()),
        },
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

/// The role bits (Owner included) whose name in the reader's language contains `needle`.
fn roles_named(needle: &str, tr: &crate::i18n::Tr) -> i64 {
    [
        Role::Owner,
        Role::Administrator,
        Role::Monitoring,
        Role::Backup,
        Role::CallData,
    ]
    .into_iter()
    .filter(|r| r.label(tr).to_lowercase().contains(needle))
    .fold(0, |m, r| m | r.bit())
}
