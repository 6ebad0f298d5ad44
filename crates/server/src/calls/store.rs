//! Queries on `calls` and `call_cursors`: batches stored with the cursor in one
//! transaction, lists filtered, sorted and paged by key in SQL.

use super::columns;
use super::filter::{Filter, Key, KeyValue, Sort};
use crate::db::{Backend, Bind, Db, escape_like};
use crate::error::AppResult;
use sqlx::AnyConnection;

/// A stored call record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallRow {
    pub system_id: String,
    pub seq: i64,
    pub started_at: i64,
    pub duration_s: i64,
    pub direction: String,
    pub partner: String,
    pub partner_name: String,
    pub invoice_no: String,
    pub invoice_name: String,
    pub real_name: String,
    pub connection: String,
    pub successful: i64,
    pub call_type: String,
}

/// How far a system's records have been retrieved.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CursorRow {
    pub system_id: String,
    pub last_seq: i64,
    pub records: i64,
    pub retrieved_at: Option<i64>,
    pub next_due: i64,
}

pub async fn cursor(db: &Db, system_id: &str) -> AppResult<Option<CursorRow>> {
    Ok(sqlx::query_as(
        "SELECT system_id, last_seq, records, retrieved_at, next_due FROM call_cursors \
         WHERE system_id = $1",
    )
    .bind(system_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// The cursors (last stored record) of `system_ids` that have one.
pub async fn cursors_of(
    db: &Db,
    system_ids: &[String],
) -> AppResult<std::collections::HashMap<String, i64>> {
    if system_ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT system_id, last_seq FROM call_cursors WHERE system_id IN ({})",
        crate::db::placeholders(system_ids.len())
    );
    let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
    for id in system_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(&db.pool).await?.into_iter().collect())
}

/// Creates the system's cursor (at 0, first retrieval due at `due`) unless it exists.
pub async fn ensure_cursor(conn: &mut AnyConnection, system_id: &str, due: i64) -> AppResult<()> {
    sqlx::query(columns::ENSURE_CURSOR)
        .bind(system_id)
        .bind(due)
        .execute(conn)
        .await?;
    Ok(())
}

/// Up to `limit` paired systems that have no cursor yet.
pub async fn without_cursor(db: &Db, limit: i64) -> AppResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM systems s WHERE paired_at IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM call_cursors c WHERE c.system_id = s.id) LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Makes the system's next retrieval due at `now` (its cursor created if needed).
pub async fn due_now(db: &Db, system_id: &str, now: i64) -> AppResult<()> {
    let mut conn = db.pool.acquire().await?;
    ensure_cursor(&mut conn, system_id, now).await?;
    sqlx::query("UPDATE call_cursors SET next_due = $1 WHERE system_id = $2 AND next_due > $1")
        .bind(now)
        .bind(system_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Cursors whose retrieval is due, oldest first.
pub async fn due(db: &Db, now: i64, limit: i64) -> AppResult<Vec<CursorRow>> {
    Ok(sqlx::query_as(
        "SELECT system_id, last_seq, records, retrieved_at, next_due FROM call_cursors \
         WHERE next_due <= $1 ORDER BY next_due LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Sets the next retrieval from `was` to `next`; false when another node did first.
pub async fn reschedule(db: &Db, system_id: &str, was: i64, next: i64) -> AppResult<bool> {
    let done =
        sqlx::query("UPDATE call_cursors SET next_due = $1 WHERE system_id = $2 AND next_due = $3")
            .bind(next)
            .bind(system_id)
            .bind(was)
            .execute(&db.pool)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// A page of the records of `systems` that match `f`, after `after` in `f`'s order.
/// `searchable_partner`: the systems whose external numbers the text filter may look at
/// (masked numbers are not searched: that would reveal the hidden digits).
pub async fn page(
    db: &Db,
    systems: &[String],
    searchable_partner: &[String],
    f: &Filter,
    after: Option<&Key>,
    limit: i64,
) -> AppResult<Vec<CallRow>> {
    let Some((sql, binds)) = page_sql(db.backend, systems, searchable_partner, f, after, limit)
    else {
        return Ok(Vec::new());
    };
    let q = crate::db::query_as::<CallRow>(&sql, &binds);
    Ok(q.fetch_all(&db.pool).await?)
}

/// The statement [`page`] runs and its values (`$1`, `$2`, … in the order of the values);
/// none when there are no systems.
pub fn page_sql(
    backend: Backend,
    systems: &[String],
    searchable_partner: &[String],
    f: &Filter,
    after: Option<&Key>,
    limit: i64,
) -> Option<(String, Vec<Bind>)> {
    if systems.is_empty() {
        return None;
    }
    let mut binds: Vec<Bind> = Vec::new();
    let p = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let mut conds = Vec::new();
    let single = systems.len() == 1;
    if single {
        let s = p(Bind::Text(systems[0].clone()), &mut binds);
        conds.push(format!("system_id = {s}"));
    } else {
        let list: Vec<String> = systems
            .iter()
            .map(|s| p(Bind::Text(s.clone()), &mut binds))
            .collect();
        conds.push(format!("system_id IN ({})", list.join(",")));
    }
    let text = f.text.trim().to_lowercase();
    if !text.is_empty() {
        let like = p(Bind::Text(format!("%{}%", escape_like(&text))), &mut binds);
        let mut any: Vec<String> = [
            "partner_name",
            "invoice_no",
            "invoice_name",
            "real_name",
            "connection",
            "call_type",
        ]
        .iter()
        .map(|c| format!("LOWER({c}) LIKE {like} ESCAPE '\\'"))
        .collect();
        if searchable_partner.len() == systems.len() {
            any.push(format!("partner LIKE {like} ESCAPE '\\'"));
        } else if !searchable_partner.is_empty() {
            let list: Vec<String> = searchable_partner
                .iter()
                .map(|s| p(Bind::Text(s.clone()), &mut binds))
                .collect();
            any.push(format!(
                "(partner LIKE {like} ESCAPE '\\' AND system_id IN ({}))",
                list.join(",")
            ));
        }
        conds.push(format!("({})", any.join(" OR ")));
    }
    if let Some(from) = f.from {
        let x = p(Bind::Int(from), &mut binds);
        conds.push(format!("started_at >= {x}"));
    }
    if let Some(to) = f.to {
        let x = p(Bind::Int(to), &mut binds);
        conds.push(format!("started_at < {x}"));
    }
    if let Some(d) = f.direction {
        let x = p(Bind::Text(d.as_str().to_owned()), &mut binds);
        conds.push(format!("direction = {x}"));
    }
    if let Some(ok) = f.successful {
        let x = p(Bind::Int(i64::from(ok)), &mut binds);
        conds.push(format!("successful = {x}"));
    }
    let col = f.sort.column();
    let (cmp, dir) = if f.desc { ("<", "DESC") } else { (">", "ASC") };
    if let Some(k) = after {
        let v = p(
            match &k.value {
                KeyValue::Int(i) => Bind::Int(*i),
                KeyValue::Text(t) => Bind::Text(t.clone()),
            },
            &mut binds,
        );
        let seq = p(Bind::Int(k.seq), &mut binds);
        if backend == Backend::Postgres {
            // A row comparison: PostgreSQL scans the index from the key on.
            if single {
                conds.push(format!("({col}, seq) {cmp} ({v}, {seq})"));
            } else {
                let sys = p(Bind::Text(k.system_id.clone()), &mut binds);
                conds.push(format!("({col}, system_id, seq) {cmp} ({v}, {sys}, {seq})"));
            }
        } else {
            let tie = if single {
                format!("seq {cmp} {seq}")
            } else {
                let sys = p(Bind::Text(k.system_id.clone()), &mut binds);
                format!("(system_id {cmp} {sys} OR (system_id = {sys} AND seq {cmp} {seq}))")
            };
            conds.push(format!("{col} {cmp}= {v} AND ({col} {cmp} {v} OR {tie})"));
        }
    }
    let order = if single {
        format!("{col} {dir}, seq {dir}")
    } else {
        format!("{col} {dir}, system_id {dir}, seq {dir}")
    };
    let sql = format!(
        "SELECT {} FROM calls WHERE {} ORDER BY {order} LIMIT {}",
        columns::READ,
        conds.join(" AND "),
        limit.clamp(1, 10_000)
    );
    Some((sql, binds))
}

/// The key of `row` in a list sorted by `sort`.
pub fn key_of(row: &CallRow, sort: Sort) -> Key {
    let value = match sort {
        Sort::Time => KeyValue::Int(row.started_at),
        Sort::Duration => KeyValue::Int(row.duration_s),
        Sort::Billing => KeyValue::Int(row.successful),
        Sort::Partner => KeyValue::Text(row.partner.clone()),
        Sort::PartnerName => KeyValue::Text(row.partner_name.clone()),
        Sort::InvoiceNo => KeyValue::Text(row.invoice_no.clone()),
        Sort::InvoiceName => KeyValue::Text(row.invoice_name.clone()),
        Sort::RealName => KeyValue::Text(row.real_name.clone()),
        Sort::Connection => KeyValue::Text(row.connection.clone()),
        Sort::CallType => KeyValue::Text(row.call_type.clone()),
    };
    Key {
        value,
        system_id: row.system_id.clone(),
        seq: row.seq,
    }
}

/// Deletes up to `limit` records of `system_id` that began before `before`; how many.
pub async fn delete_older(db: &Db, system_id: &str, before: i64, limit: i64) -> AppResult<u64> {
    let done = sqlx::query(
        "DELETE FROM calls WHERE system_id = $1 AND seq IN \
         (SELECT seq FROM calls WHERE system_id = $1 AND started_at < $2 LIMIT $3)",
    )
    .bind(system_id)
    .bind(before)
    .bind(limit)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected())
}

/// Companies with a retention period: (company, days).
pub async fn retention_rules(db: &Db) -> AppResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, call_retention_days FROM companies WHERE call_retention_days > 0",
    )
    .fetch_all(&db.pool)
    .await?)
}

/// A company's privacy settings: (retention days, masked digits).
pub async fn privacy(db: &Db, company_id: &str) -> AppResult<(i64, i64)> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT call_retention_days, call_mask_digits FROM companies WHERE id = $1")
            .bind(company_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.unwrap_or((0, 0)))
}

pub async fn set_privacy(db: &Db, company_id: &str, days: i64, digits: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE companies SET call_retention_days = $1, call_mask_digits = $2 WHERE id = $3",
    )
    .bind(days)
    .bind(digits)
    .bind(company_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// When `user_id` last confirmed `notice`.
pub async fn confirmed_at(db: &Db, user_id: &str, notice: &str) -> AppResult<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT confirmed_at FROM legal_confirmations WHERE user_id = $1 AND notice = $2",
    )
    .bind(user_id)
    .bind(notice)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(t,)| t))
}

pub async fn confirm(db: &Db, user_id: &str, notice: &str, now: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO legal_confirmations (user_id, notice, confirmed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, notice) DO UPDATE SET confirmed_at = excluded.confirmed_at",
    )
    .bind(user_id)
    .bind(notice)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}
