//! The SQL of the "All systems" registration lists: the lines of every system on which the
//! user may see registrations (the rule of `access::require::<Registrations>`, in SQL),
//! filtered, sorted and paged by key in the database.

use super::store::{Fleet, FleetRow};
use crate::access::feature;
use crate::auth::CurrentUser;
use crate::db::{Bind, escape_like};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::paging::{self, KeyValue, PageKey};

/// What one page asks for.
pub struct FleetQuery<'a> {
    pub text: &'a str,
    /// One of `store::FLEET_SORT`; anything else sorts by system.
    pub sort: &'a str,
    pub desc: bool,
    pub cursor: Option<&'a str>,
    pub limit: i64,
}

/// One page, the number of matching lines and the cursor of the next page.
pub struct FleetPage {
    pub rows: Vec<FleetRow>,
    pub total: i64,
    pub next: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Listed {
    #[sqlx(flatten)]
    row: FleetRow,
    pos: i64,
    sort_t: Option<String>,
    sort_i: Option<i64>,
}

pub async fn page(
    st: &AppState,
    user: &CurrentUser,
    which: Fleet,
    q: &FleetQuery<'_>,
) -> AppResult<FleetPage> {
    let (table, name, detail, kind) = match which {
        Fleet::Phones => ("phones", "x.name", "x.mac", "x.kind"),
        Fleet::Accounts => ("accounts", "x.account", "x.provider", "''"),
    };
    // Whitelisted column expressions only: the sort key never reaches SQL as text.
    let (column, text_sort) = match q.sort {
        "name" => (format!("LOWER({name})"), true),
        "detail" => (format!("LOWER({detail})"), true),
        "type" => (kind.to_owned(), true),
        "status" => ("x.status".to_owned(), true),
        "as_of" => ("COALESCE(s.registrations_at, 0)".to_owned(), false),
        _ => ("LOWER(s.name)".to_owned(), true),
    };
    let mut binds = Vec::new();
    let systems =
        crate::access::feature_systems_sql::<feature::Registrations>(st, user, &mut binds);
    let mut conds = vec![format!("x.system_id IN ({systems})")];
    let needle = paging::needle(q.text);
    if !needle.is_empty() {
        binds.push(Bind::Text(format!("%{}%", escape_like(&needle))));
        let p = format!("${}", binds.len());
        conds.push(format!(
            "(LOWER(s.name) LIKE {p} ESCAPE '\\' OR LOWER(s.serial) LIKE {p} ESCAPE '\\' \
             OR LOWER({name}) LIKE {p} ESCAPE '\\' OR LOWER({detail}) LIKE {p} ESCAPE '\\' \
             OR LOWER(x.status) LIKE {p} ESCAPE '\\')"
        ));
    }
    let from = format!("FROM {table} x JOIN systems s ON s.id = x.system_id");
    let count_sql = format!("SELECT COUNT(*) {from} WHERE {}", conds.join(" AND "));
    let count = crate::db::query_as::<(i64,)>(&count_sql, &binds);
    let (total,) = count.fetch_one(&st.db.pool).await?;

    let cmp = if q.desc { "<" } else { ">" };
    if let Some((key, sys, pos)) = q.cursor.and_then(|c| after(c, text_sort)) {
        binds.push(key.bind());
        let v = binds.len();
        binds.push(Bind::Text(sys));
        binds.push(Bind::Int(pos));
        let (s, p) = (v + 1, v + 2);
        conds.push(format!(
            "({column} {cmp} ${v} OR ({column} = ${v} AND (s.id {cmp} ${s} \
             OR (s.id = ${s} AND x.pos {cmp} ${p}))))"
        ));
    }
    let (sort_t, sort_i) = if text_sort {
        (column.as_str(), "CAST(NULL AS BIGINT)")
    } else {
        ("CAST(NULL AS TEXT)", column.as_str())
    };
    let dir = if q.desc { "DESC" } else { "ASC" };
    let limit = q.limit.clamp(1, paging::MAX_ROWS);
    let sql = format!(
        "SELECT s.id AS system_id, s.name AS system_name, s.serial, {name} AS name, \
         {detail} AS detail, x.status, {kind} AS kind, s.registrations_at AS as_of, x.pos, \
         {sort_t} AS sort_t, {sort_i} AS sort_i {from} WHERE {} \
         ORDER BY {column} {dir}, s.id {dir}, x.pos {dir} LIMIT {}",
        conds.join(" AND "),
        limit + 1
    );
    let query = crate::db::query_as::<Listed>(&sql, &binds);
    let mut rows = query.fetch_all(&st.db.pool).await?;
    let next = paging::split(&mut rows, limit, |l| PageKey {
        value: KeyValue::of_row(&l.sort_t, l.sort_i),
        id: format!("{}/{}", l.row.system_id, l.pos),
    });
    Ok(FleetPage {
        rows: rows.into_iter().map(|l| l.row).collect(),
        total,
        next,
    })
}

/// The sort value, system id and position a cursor names; `None` for anything else.
fn after(cursor: &str, text_sort: bool) -> Option<(KeyValue, String, i64)> {
    let key = PageKey::decode(cursor, text_sort)?;
    let (sys, pos) = key.id.rsplit_once('/')?;
    Some((key.value, sys.to_owned(), pos.parse().ok()?))
}
