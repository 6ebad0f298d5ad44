//! The alerts lists (a system's, and Systems › All › Alerts) filtered, sorted and paged in
//! the database, with the systems a user may see alerts of as part of the SQL.

use super::store::AlertRow;
use crate::access::{Monitor, feature};
use crate::auth::CurrentUser;
use crate::db::{Bind, escape_like};
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::paging::{self, KeyValue, PageKey};

/// The columns an alerts list sorts by (`?sort=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertSort {
    Severity,
    System,
    Alert,
    Opened,
    State,
}

impl AlertSort {
    pub const KEYS: &[&str] = &["severity", "system", "alert", "opened", "state"];

    pub fn parse(key: &str) -> AlertSort {
        match key {
            "severity" => AlertSort::Severity,
            "system" => AlertSort::System,
            "alert" => AlertSort::Alert,
            "state" => AlertSort::State,
            _ => AlertSort::Opened,
        }
    }

    pub fn is_text(self) -> bool {
        matches!(self, AlertSort::System | AlertSort::Alert)
    }

    fn expr(self) -> &'static str {
        match self {
            AlertSort::Severity => {
                "(CASE a.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END)"
            }
            AlertSort::System => "LOWER(s.name)",
            AlertSort::Alert => "LOWER(a.message)",
            AlertSort::Opened => "a.opened_at",
            AlertSort::State => "(CASE WHEN a.resolved_at IS NULL THEN 0 ELSE 1 END)",
        }
    }
}

/// Whose alerts.
pub enum Scope<'a> {
    /// One system, for a user allowed to see its alerts.
    System(&'a Monitor),
    /// Every system on which the user may see alerts now.
    Fleet(&'a CurrentUser),
}

pub struct AlertQuery<'a> {
    /// Filter text: system name or serial number, the alert's (English) text or kind, or the
    /// severity's name in the reader's language.
    pub text: &'a str,
    pub sort: AlertSort,
    pub desc: bool,
    pub cursor: Option<&'a str>,
    pub limit: i64,
}

/// Resolved alerts stay listed this long.
pub const RESOLVED_SHOWN_MS: i64 = 7 * 86_400_000;

pub struct AlertPage {
    pub rows: Vec<AlertRow>,
    /// Alerts that match the filter.
    pub matching: i64,
    /// Alerts in the scope, filter or not.
    pub total: i64,
    pub next: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Listed {
    #[sqlx(flatten)]
    alert: AlertRow,
    sort_t: Option<String>,
    sort_i: Option<i64>,
}

const COLS: &str = "a.id, a.system_id, s.name AS system_name, s.serial, a.kind, a.subject, \
    a.severity, a.message, a.args, a.source, a.opened_at, a.resolved_at, a.acknowledged_at, \
    a.acknowledged_by";

/// One page of alerts in `scope`: open ones and those resolved in the last 7 days.
pub async fn page(
    st: &AppState,
    scope: Scope<'_>,
    q: &AlertQuery<'_>,
    tr: &Tr,
) -> AppResult<AlertPage> {
    let mut binds = Vec::new();
    // Newest first over the fleet, SQLite walks the alerts in time order (index
    // `alerts_opened`) and stops after a page, instead of collecting every alert of 10,000
    // systems to sort them: the page query puts a unary `+` before the system condition so
    // that SQLite does not start at the systems. (The count is faster from the systems.)
    let (systems, walk_by_time) = match scope {
        Scope::System(cap) => {
            binds.push(Bind::Text(cap.id().to_string()));
            ("= $1".to_owned(), false)
        }
        Scope::Fleet(user) => (
            format!(
                "IN ({})",
                crate::access::feature_systems_sql::<feature::Monitoring>(st, user, &mut binds)
            ),
            q.sort == AlertSort::Opened && st.db.backend == crate::db::Backend::Sqlite,
        ),
    };
    binds.push(Bind::Int(st.clock.now_ms() - RESOLVED_SHOWN_MS));
    let shown = format!(
        "(a.resolved_at IS NULL OR a.resolved_at >= ${})",
        binds.len()
    );
    let base = format!("a.system_id {systems} AND {shown}");
    let needle = paging::needle(q.text);
    let filter = if needle.is_empty() {
        "1 = 1".to_owned()
    } else {
        binds.push(Bind::Text(format!("%{}%", escape_like(&needle))));
        let like = format!("${}", binds.len());
        let mut any: Vec<String> = ["s.name", "s.serial", "a.kind", "a.message"]
            .iter()
            .map(|c| format!("LOWER({c}) LIKE {like} ESCAPE '\\'"))
            .collect();
        let severities: Vec<String> = ["critical", "warning", "info"]
            .into_iter()
            .filter(|k| {
                tr.t(&format!("severity-{k}"))
                    .to_lowercase()
                    .contains(&needle)
            })
            .map(|k| format!("'{k}'"))
            .collect();
        if !severities.is_empty() {
            any.push(format!("a.severity IN ({})", severities.join(",")));
        }
        format!("({})", any.join(" OR "))
    };
    let from = "FROM alerts a JOIN systems s ON s.id = a.system_id";
    let count_sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN {filter} THEN 1 ELSE 0 END), 0) {from} \
         WHERE {base}"
    );
    let count = crate::db::query_as::<(i64, i64)>(&count_sql, &binds);
    let (total, matching) = count.fetch_one(&st.db.pool).await?;

    let expr = q.sort.expr();
    let (sort_t, sort_i) = if q.sort.is_text() {
        (expr, "CAST(NULL AS BIGINT)")
    } else {
        ("CAST(NULL AS TEXT)", expr)
    };
    let plus = if walk_by_time { "+" } else { "" };
    let mut conds = vec![format!("{plus}a.system_id {systems} AND {shown}"), filter];
    let after = q
        .cursor
        .filter(|c| !c.is_empty())
        .and_then(|c| PageKey::decode(c, q.sort.is_text()));
    if let Some(key) = &after {
        conds.push(paging::after_sql(expr, "a.id", q.desc, key, &mut binds));
    }
    let dir = if q.desc { "DESC" } else { "ASC" };
    let limit = q.limit.clamp(1, paging::MAX_ROWS);
    let sql = format!(
        "SELECT {COLS}, {sort_t} AS sort_t, {sort_i} AS sort_i {from} WHERE {} \
         ORDER BY {expr} {dir}, a.id {dir} LIMIT {}",
        conds.join(" AND "),
        limit + 1
    );
    let query = crate::db::query_as::<Listed>(&sql, &binds);
    let mut rows = query.fetch_all(&st.db.pool).await?;
    let next = paging::split(&mut rows, limit, |l| PageKey {
        value: KeyValue::of_row(&l.sort_t, l.sort_i),
        id: l.alert.id.clone(),
    });
    Ok(AlertPage {
        rows: rows.into_iter().map(|l| l.alert).collect(),
        matching,
        total,
        next,
    })
}
