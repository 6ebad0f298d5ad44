//! Queries on `phones` and `accounts`.

use crate::db::Db;
use crate::error::AppResult;
use zentrale_protocol::registrations::Registrations;

fn text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// When the PBX took the stored lists (`$1`) of system `$2`, which reported no problem.
pub const TAKEN_SQL: &str =
    "UPDATE systems SET registrations_at = $1, registrations_problem = NULL WHERE id = $2";

/// One line's new status (written in the hello batch, `systems::info_batch`).
pub fn status_update<'q>(
    system_id: &'q str,
    c: &'q StatusChange,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let sql = if c.phone {
        "UPDATE phones SET status = $1 WHERE system_id = $2 AND pos = $3"
    } else {
        "UPDATE accounts SET status = $1 WHERE system_id = $2 AND pos = $3"
    };
    sqlx::query(sql)
        .bind(c.status.as_str())
        .bind(system_id)
        .bind(c.pos)
}

/// Replaces the system's lists with what the PBX reported.
pub async fn replace(db: &Db, system_id: &str, r: &Registrations) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM phones WHERE system_id = $1")
        .bind(system_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM accounts WHERE system_id = $1")
        .bind(system_id)
        .execute(&mut *tx)
        .await?;
    for (i, p) in r.phones.iter().enumerate() {
        sqlx::query("INSERT INTO phones (system_id, pos, name, mac, kind, status) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(system_id)
            .bind(i as i64)
            .bind(&p.name)
            .bind(&p.mac)
            .bind(text(&p.kind))
            .bind(text(&p.status))
            .execute(&mut *tx)
            .await?;
    }
    for (i, a) in r.accounts.iter().enumerate() {
        sqlx::query("INSERT INTO accounts (system_id, pos, account, provider, status) VALUES ($1, $2, $3, $4, $5)")
            .bind(system_id)
            .bind(i as i64)
            .bind(&a.account)
            .bind(&a.provider)
            .bind(text(&a.status))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(TAKEN_SQL)
        .bind(r.as_of_ms)
        .bind(system_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A line whose status alone changed: which table, its position, its new status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub phone: bool,
    pub pos: i64,
    pub status: String,
}

/// When the report holds the stored lines (same names, addresses, kinds, in the same order)
/// and only statuses differ, the lines whose status changed (none: the report of a
/// reconnecting PBX that nothing happened to); `None` when lines were added, removed or
/// changed otherwise, and both lists must be replaced.
pub fn status_changes(
    phones: &[PhoneRow],
    accounts: &[AccountRow],
    r: &Registrations,
) -> Option<Vec<StatusChange>> {
    let same_lines = phones.len() == r.phones.len()
        && accounts.len() == r.accounts.len()
        && phones
            .iter()
            .zip(&r.phones)
            .all(|(a, b)| a.name == b.name && a.mac == b.mac && a.kind == text(&b.kind))
        && accounts
            .iter()
            .zip(&r.accounts)
            .all(|(a, b)| a.account == b.account && a.provider == b.provider);
    if !same_lines {
        return None;
    }
    let phones = phones
        .iter()
        .zip(&r.phones)
        .map(|(a, b)| (a.status.as_str(), text(&b.status)));
    let accounts = accounts
        .iter()
        .zip(&r.accounts)
        .map(|(a, b)| (a.status.as_str(), text(&b.status)));
    Some(
        changed(true, phones)
            .chain(changed(false, accounts))
            .collect(),
    )
}

/// The lines of one list (stored status, reported status) whose status differs.
fn changed<'a>(
    phone: bool,
    lines: impl Iterator<Item = (&'a str, String)> + 'a,
) -> impl Iterator<Item = StatusChange> + 'a {
    lines
        .enumerate()
        .filter(|(_, (was, now))| was != now)
        .map(move |(i, (_, status))| StatusChange {
            phone,
            pos: i as i64,
            status,
        })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhoneRow {
    pub name: String,
    pub mac: String,
    pub kind: String,
    pub status: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub account: String,
    pub provider: String,
    pub status: String,
}

/// The stored lists, read on one pooled connection (a reconnecting PBX's report is compared
/// with them; in a connect storm every acquisition of a connection waits).
pub async fn lists(db: &Db, system_id: &str) -> AppResult<(Vec<PhoneRow>, Vec<AccountRow>)> {
    let mut conn = db.pool.acquire().await?;
    let phones = sqlx::query_as(
        "SELECT name, mac, kind, status FROM phones WHERE system_id = $1 ORDER BY pos",
    )
    .bind(system_id)
    .fetch_all(&mut *conn)
    .await?;
    let accounts = sqlx::query_as(
        "SELECT account, provider, status FROM accounts WHERE system_id = $1 ORDER BY pos",
    )
    .bind(system_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok((phones, accounts))
}

/// The stored lists and when the PBX took them.
pub async fn load(
    db: &Db,
    system_id: &str,
) -> AppResult<(Vec<PhoneRow>, Vec<AccountRow>, Option<i64>)> {
    let phones = sqlx::query_as(
        "SELECT name, mac, kind, status FROM phones WHERE system_id = $1 ORDER BY pos",
    )
    .bind(system_id)
    .fetch_all(&db.pool)
    .await?;
    let accounts = sqlx::query_as(
        "SELECT account, provider, status FROM accounts WHERE system_id = $1 ORDER BY pos",
    )
    .bind(system_id)
    .fetch_all(&db.pool)
    .await?;
    let at: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT registrations_at FROM systems WHERE id = $1")
            .bind(system_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok((phones, accounts, at.and_then(|(t,)| t)))
}

/// One line of an "All systems" list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FleetRow {
    pub system_id: String,
    pub system_name: String,
    pub serial: String,
    /// Phone name or account name.
    pub name: String,
    /// MAC address or provider name.
    pub detail: String,
    pub status: String,
    /// Telephone type (`ip`, `dect`, `analogue`); empty for accounts.
    pub kind: String,
    pub as_of: Option<i64>,
}

/// Which list: telephones or accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fleet {
    Phones,
    Accounts,
}

/// Columns the fleet lists sort by.
pub const FLEET_SORT: &[&str] = &["system", "name", "detail", "type", "status", "as_of"];

/// Registered and total telephones and accounts of one system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub phones_ok: i64,
    pub phones: i64,
    pub accounts_ok: i64,
    pub accounts: i64,
}

/// Phone statuses that count as registered.
pub const PHONES_OK: &str = "('registered_encrypted', 'registered_unencrypted', 'connected')";
/// Account statuses that count as working.
const ACCOUNTS_OK: &str =
    "('stun_connected', 'invite_answered', 'registered_decoded', 'registered_encoded')";

/// The registration summary of these systems (a page of a list), by system id.
pub async fn summaries(
    db: &Db,
    system_ids: &[&str],
) -> AppResult<std::collections::HashMap<String, Summary>> {
    let mut out: std::collections::HashMap<String, Summary> = Default::default();
    if system_ids.is_empty() {
        return Ok(out);
    }
    let list = crate::db::placeholders(system_ids.len());
    for (table, ok, phones) in [
        ("phones", PHONES_OK, true),
        ("accounts", ACCOUNTS_OK, false),
    ] {
        let sql = format!(
            "SELECT x.system_id, COUNT(*), SUM(CASE WHEN x.status IN {ok} THEN 1 ELSE 0 END) \
             FROM {table} x WHERE x.system_id IN ({list}) GROUP BY x.system_id"
        );
        let mut q = sqlx::query_as::<_, (String, i64, i64)>(&sql);
        for id in system_ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&db.pool).await?;
        for (id, total, registered) in rows {
            let e = out.entry(id).or_default();
            if phones {
                (e.phones, e.phones_ok) = (total, registered);
            } else {
                (e.accounts, e.accounts_ok) = (total, registered);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use zentrale_protocol::registrations::{
        Account, AccountStatus, Phone, PhoneKind, PhoneStatus, Registrations,
    };

    fn report(phone: PhoneStatus, account: AccountStatus) -> Registrations {
        Registrations {
            as_of_ms: 1,
            phones: vec![Phone {
                name: "Desk".into(),
                mac: "00:09:52:00:00:01".into(),
                kind: PhoneKind::Ip,
                status: phone,
            }],
            accounts: vec![Account {
                account: "0301234".into(),
                provider: "Telekom".into(),
                status: account,
            }],
            parts: None,
        }
    }

    fn stored(r: &Registrations) -> (Vec<PhoneRow>, Vec<AccountRow>) {
        let phones = r
            .phones
            .iter()
            .map(|p| PhoneRow {
                name: p.name.clone(),
                mac: p.mac.clone(),
                kind: text(&p.kind),
                status: text(&p.status),
            })
            .collect();
        let accounts = r
            .accounts
            .iter()
            .map(|a| AccountRow {
                account: a.account.clone(),
                provider: a.provider.clone(),
                status: text(&a.status),
            })
            .collect();
        (phones, accounts)
    }

    #[test]
    fn only_changed_statuses_are_written_and_other_changes_replace_the_lists() {
        let before = report(
            PhoneStatus::RegisteredEncrypted,
            AccountStatus::RegisteredEncoded,
        );
        let (p, a) = stored(&before);
        assert_eq!(status_changes(&p, &a, &before), Some(vec![]));
        let after = report(
            PhoneStatus::RegistrationPending,
            AccountStatus::RegisteredEncoded,
        );
        let changes = status_changes(&p, &a, &after).unwrap();
        assert_eq!(
            changes,
            vec![StatusChange {
                phone: true,
                pos: 0,
                status: text(&PhoneStatus::RegistrationPending),
            }]
        );
        let after = report(
            PhoneStatus::RegisteredEncrypted,
            AccountStatus::NotRegistered,
        );
        assert!(!status_changes(&p, &a, &after).unwrap()[0].phone);
        let mut renamed = before.clone();
        renamed.phones[0].name = "Lobby".into();
        assert_eq!(status_changes(&p, &a, &renamed), None);
        let mut added = before.clone();
        added.accounts.push(added.accounts[0].clone());
        assert_eq!(status_changes(&p, &a, &added), None);
    }
}
