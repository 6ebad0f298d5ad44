//! Queries on the audit log: appending under the chain's lock, the walk for `verify`, the
//! filtered, paged list, and retention.

use super::chain::{Entry, Verdict, Walker};
use crate::db::{Bind, Db, escape_like};
use crate::error::{AppError, AppResult};

const COLS: &str = "seq, at, actor_kind, actor_id, actor_label, company_id, system_id, action, \
    args, ip, request_id, prev_hash, hash";

/// Appends `e` (its `seq`, `prev_hash` and `hash` are set here). The head row is updated
/// first, which locks it until commit: appends from any number of requests or nodes are
/// numbered one after another without gaps.
pub async fn append(db: &Db, e: Entry) -> AppResult<()> {
    append_many(db, vec![e]).await
}

/// Appends `entries` in order in one transaction (what one request did to many systems).
pub async fn append_many(db: &Db, entries: Vec<Entry>) -> AppResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let n = entries.len() as i64;
    let mut tx = db.pool.begin().await?;
    let (last, mut prev): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
            .bind(n)
            .fetch_one(&mut *tx)
            .await?;
    for (i, mut e) in entries.into_iter().enumerate() {
        e.seq = last - n + 1 + i as i64;
        e.prev_hash = prev;
        e.hash = e.compute_hash();
        sqlx::query(&format!(
            "INSERT INTO audit_log ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(e.seq)
        .bind(e.at)
        .bind(&e.actor_kind)
        .bind(&e.actor_id)
        .bind(&e.actor_label)
        .bind(&e.company_id)
        .bind(&e.system_id)
        .bind(&e.action)
        .bind(&e.args)
        .bind(&e.ip)
        .bind(&e.request_id)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut *tx)
        .await?;
        prev = e.hash;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Walks the whole chain, a thousand entries at a time, and checks that its end is the head.
pub async fn verify(db: &Db) -> AppResult<Verdict> {
    let mut walker = Walker::default();
    let mut after = i64::MIN;
    loop {
        let page: Vec<Entry> = sqlx::query_as(&format!(
            "SELECT {COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000"
        ))
        .bind(after)
        .fetch_all(&db.pool)
        .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            if let Err((seq, why)) = walker.step(e) {
                return Ok(Verdict::Broken { seq, why });
            }
        }
    }
    let (head_seq, head_hash, pruned): (i64, String, i64) =
        sqlx::query_as("SELECT seq, hash, pruned_through FROM audit_head WHERE id = 1")
            .fetch_one(&db.pool)
            .await?;
    if let Some(first) = walker.first
        && first != pruned + 1
    {
        return Ok(Verdict::Broken {
            seq: first,
            why: format!("entries {} to {} are missing", pruned + 1, first - 1),
        });
    }
    match walker.last() {
        Some((seq, hash)) if *seq != head_seq || *hash != head_hash => Ok(Verdict::Broken {
            seq: head_seq,
            why: format!("the newest entries after {seq} are missing"),
        }),
        None if head_seq > pruned => Ok(Verdict::Broken {
            seq: pruned + 1,
            why: "every entry is missing".into(),
        }),
        _ => Ok(Verdict::Intact {
            entries: walker.entries,
            first: walker.first.unwrap_or(0),
            last: head_seq,
        }),
    }
}

/// Removes the entries older than `before` (retention), oldest first and without gaps; the
/// head remembers how far, so the chain then starts at the oldest entry kept.
pub async fn prune(db: &Db, before: i64) -> AppResult<u64> {
    let mut tx = db.pool.begin().await?;
    let (through,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM audit_log WHERE at < $1")
        .bind(before)
        .fetch_one(&mut *tx)
        .await?;
    let Some(through) = through else {
        return Ok(0);
    };
    let done = sqlx::query("DELETE FROM audit_log WHERE seq <= $1")
        .bind(through)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE audit_head SET pruned_through = $1 WHERE id = 1 AND pruned_through < $1")
        .bind(through)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Who may see which entries.
pub enum Scope {
    /// The platform operator: the whole installation.
    All,
    /// Everybody else: their own actions and the entries of the systems they manage.
    Own { user_id: String, company_id: String },
}

/// The list's filters; every one optional.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// Part of the actor's e-mail or name.
    #[serde(default)]
    pub who: String,
    /// An action code or its beginning (`login`, `system.renamed`).
    #[serde(default)]
    pub what: String,
    /// A system's id.
    #[serde(default)]
    pub system: String,
    /// From this time (ms since the epoch, inclusive).
    pub from: Option<i64>,
    /// Until this time (ms since the epoch, exclusive).
    pub to: Option<i64>,
    /// `asc` for oldest first; newest first otherwise.
    #[serde(default)]
    pub order: String,
    /// Page, from 1 (counts through every entry before it: prefer `cursor` on a long log).
    pub page: Option<i64>,
    /// `next_cursor` of the page before: the entries after that one, read by key.
    pub cursor: Option<i64>,
    /// Entries per page (1–500, default 50).
    pub per_page: Option<i64>,
}

impl Filter {
    pub fn per_page(&self) -> i64 {
        self.per_page.unwrap_or(50).clamp(1, 500)
    }

    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1).clamp(1, 1_000_000)
    }
}

/// The entries in `scope` matching `f`: one page (`limit`, `offset`) and the total count.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Entry>, i64)> {
    let mut conds: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let mut n = 0;
    let mut next = |b: Bind, binds: &mut Vec<Bind>| {
        n += 1;
        binds.push(b);
        format!("${n}")
    };
    if let Scope::Own {
        user_id,
        company_id,
    } = scope
    {
        let me = next(Bind::Text(user_id.clone()), &mut binds);
        let company = next(Bind::Text(company_id.clone()), &mut binds);
        conds.push(format!(
            "(actor_id = {me} OR system_id IN ({}))",
            crate::access::managed_systems_sql(&company, &me)
        ));
    }
    if !f.who.trim().is_empty() {
        let p = next(Bind::Text(like(&f.who)), &mut binds);
        conds.push(format!("LOWER(actor_label) LIKE {p} ESCAPE '\\'"));
    }
    if !f.what.trim().is_empty() {
        let p = next(
            Bind::Text(format!("{}%", escape_like(f.what.trim()))),
            &mut binds,
        );
        conds.push(format!("action LIKE {p} ESCAPE '\\'"));
    }
    if !f.system.trim().is_empty() {
        let p = next(Bind::Text(f.system.trim().to_owned()), &mut binds);
        conds.push(format!("system_id = {p}"));
    }
    if let Some(from) = f.from {
        let p = next(Bind::Int(from), &mut binds);
        conds.push(format!("at >= {p}"));
    }
    if let Some(to) = f.to {
        let p = next(Bind::Int(to), &mut binds);
        conds.push(format!("at < {p}"));
    }
    // The count covers the filter; the cursor only moves the page.
    let count_conds = conds.clone();
    let count_binds = binds.len();
    if let Some(after) = f.cursor {
        let p = next(Bind::Int(after), &mut binds);
        conds.push(format!(
            "seq {} {p}",
            if f.order == "asc" { ">" } else { "<" }
        ));
    }
    let clause = |conds: &[String]| {
        if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        }
    };
    let filter = clause(&conds);
    let order = if f.order == "asc" { "ASC" } else { "DESC" };
    let count_sql = format!("SELECT COUNT(*) FROM audit_log{}", clause(&count_conds));
    let cq = crate::db::query_as::<(i64,)>(&count_sql, &binds[..count_binds]);
    let (total,) = cq.fetch_one(&db.pool).await?;
    let sql = format!(
        "SELECT {COLS} FROM audit_log{filter} ORDER BY seq {order} LIMIT {} OFFSET {}",
        limit.max(0),
        offset.max(0)
    );
    let q = crate::db::query_as::<Entry>(&sql, &binds);
    Ok((q.fetch_all(&db.pool).await?, total))
}

fn like(s: &str) -> String {
    format!("%{}%", escape_like(&s.trim().to_lowercase()))
}

/// The newest entry (for tests and the Dashboard).
pub async fn newest(db: &Db) -> AppResult<Option<Entry>> {
    sqlx::query_as(&format!(
        "SELECT {COLS} FROM audit_log ORDER BY seq DESC LIMIT 1"
    ))
    .fetch_optional(&db.pool)
    .await
    .map_err(AppError::from)
}
