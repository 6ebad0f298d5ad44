//! E-mail warnings: alerts that opened or resolved since the last run become mails to the
//! recipient of the system's mail server (else the company's default), one mail per
//! recipient per run (a digest when several), in the recipient's language; mails wait in a
//! durable outbox and are retried with backoff for failures that may pass, then marked
//! failed, shown on the mail server and raised as an alert.

use super::secret::Sealer;
use super::store::{self, ServerRow};
use crate::error::AppResult;
use crate::i18n::{Locale, Msg, Tr};
use crate::state::AppState;
use std::collections::BTreeMap;

/// Attempts before a mail is given up.
const MAX_ATTEMPTS: i64 = 6;

/// The job (one node per run): alerts into the outbox, then the outbox out.
pub async fn run(st: &AppState) -> AppResult<()> {
    collect(st).await?;
    send_due(st).await
}

#[derive(sqlx::FromRow)]
struct Event {
    alert_id: String,
    system_id: String,
    system_name: String,
    company_id: String,
    smtp_server_id: Option<String>,
    message: String,
    args: Option<String>,
    opened_at: i64,
    resolved_at: Option<i64>,
}

fn what(tr: &Tr, e: &Event) -> String {
    e.args
        .as_deref()
        .and_then(|a| serde_json::from_str::<Msg>(a).ok())
        .map(|m| tr.msg(&m))
        .unwrap_or_else(|| e.message.clone())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn cursor(st: &AppState, now: i64) -> AppResult<i64> {
    let at: Option<i64> = sqlx::query_scalar("SELECT at_ms FROM mail_cursor WHERE name = 'alerts'")
        .fetch_optional(&st.db.pool)
        .await?;
    match at {
        Some(at) => Ok(at),
        None => {
            // The first run starts now: no mails about the past.
            sqlx::query("INSERT INTO mail_cursor (name, at_ms) VALUES ('alerts', $1)")
                .bind(now)
                .execute(&st.db.pool)
                .await?;
            Ok(now)
        }
    }
}

async fn recipient_locale(st: &AppState, email: &str) -> Locale {
    let lang: Option<Option<String>> =
        sqlx::query_scalar("SELECT language FROM users WHERE lower(email) = lower($1)")
            .bind(email)
            .fetch_optional(&st.db.pool)
            .await
            .ok()
            .flatten();
    lang.flatten()
        .and_then(|l| Locale::parse(&l))
        .unwrap_or_default()
}

/// Alerts opened or resolved after the cursor become outbox mails; the cursor moves in the
/// same transaction, so each change is mailed once.
async fn collect(st: &AppState) -> AppResult<()> {
    let now = st.clock.now_ms();
    let from = cursor(st, now).await?;
    let events: Vec<Event> = sqlx::query_as(
        "SELECT a.id AS alert_id, a.system_id, s.name AS system_name, s.company_id, s.smtp_server_id, \
         a.message, a.args, a.opened_at, a.resolved_at FROM alerts a JOIN systems s ON s.id = a.system_id \
         WHERE (a.opened_at >= $1 AND a.opened_at < $2) OR (a.resolved_at >= $1 AND a.resolved_at < $2) \
         ORDER BY a.opened_at",
    )
    .bind(from)
    .bind(now)
    .fetch_all(&st.db.pool)
    .await?;
    // Group by mail server: the system's own, else its company's default.
    let mut servers: BTreeMap<String, Option<ServerRow>> = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<(&Event, bool)>> = BTreeMap::new();
    for e in &events {
        if !servers.contains_key(&e.company_id) {
            let default = store::of_company(&st.db, &e.company_id)
                .await?
                .into_iter()
                .find(|s| s.is_default == 1);
            servers.insert(e.company_id.clone(), default);
        }
        let server = match &e.smtp_server_id {
            Some(id) => Some(id.clone()),
            None => servers.get(&e.company_id).cloned().flatten().map(|s| s.id),
        };
        let Some(server) = server else { continue };
        let list = groups.entry(server).or_default();
        // The window is [from, now): what happens at `now` goes into the next run.
        if e.opened_at >= from && e.opened_at < now {
            list.push((e, true));
        }
        if e.resolved_at.is_some_and(|r| r >= from && r < now) {
            list.push((e, false));
        }
    }
    let mut tx = st.db.pool.begin().await?;
    for (server_id, list) in &groups {
        let Some(company) = list.first().map(|(e, _)| e.company_id.clone()) else {
            continue;
        };
        let Some(server) = store::get(&st.db, &company, server_id).await? else {
            continue;
        };
        let tr = Tr::new(
            recipient_locale(st, &server.recipient).await,
            chrono_tz::UTC,
        );
        let (subject, text, html) = compose(st, &tr, &server, list);
        let mut systems: Vec<&str> = list.iter().map(|(e, _)| e.system_id.as_str()).collect();
        systems.sort();
        systems.dedup();
        sqlx::query(
            "INSERT INTO mail_outbox (id, company_id, server_id, system_ids, subject, text_body, html_body, \
             state, attempts, next_attempt_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $8)",
        )
        .bind(crate::ids::new_id())
        .bind(&company)
        .bind(server_id)
        .bind(systems.join(","))
        .bind(subject)
        .bind(text)
        .bind(html)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE mail_cursor SET at_ms = $1 WHERE name = 'alerts'")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Subject, plain text and HTML of one mail about `list` (opened: `true`).
fn compose(
    st: &AppState,
    tr: &Tr,
    server: &ServerRow,
    list: &[(&Event, bool)],
) -> (String, String, String) {
    let base = st
        .config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", st.config.listen));
    let line = |e: &Event, opened: bool| {
        let key = if opened {
            "mail-line-open"
        } else {
            "mail-line-resolved"
        };
        tr.msg(
            &Msg::new(key)
                .text("system", e.system_name.clone())
                .text("what", what(tr, e))
                .time("since", e.opened_at),
        )
    };
    let subject = match list {
        [(e, opened)] => {
            let key = if *opened {
                "mail-subject-open"
            } else {
                "mail-subject-resolved"
            };
            tr.msg(
                &Msg::new(key)
                    .text("system", e.system_name.clone())
                    .text("what", what(tr, e)),
            )
        }
        _ => tr.tn("mail-subject-digest", "count", list.len() as i64),
    };
    let mut text = String::new();
    let mut html = String::from("<ul>");
    for (e, opened) in list {
        let url = format!("{base}/systems/{}/alerts#{}", e.system_id, e.alert_id);
        let l = line(e, *opened);
        text.push_str(&format!("- {l}\n  {url}\n"));
        html.push_str(&format!(
            "<li>{} <a href=\"{}\">{}</a></li>",
            escape(&l),
            escape(&url),
            escape(&tr.t("mail-details"))
        ));
    }
    html.push_str("</ul>");
    let footer = tr.t1("mail-footer", "server", &server.name);
    text.push_str(&format!("\n{footer}\n"));
    html.push_str(&format!("<p>{}</p>", escape(&footer)));
    (subject, text, html)
}

#[derive(sqlx::FromRow)]
struct Queued {
    id: String,
    company_id: String,
    server_id: String,
    system_ids: String,
    subject: String,
    text_body: String,
    html_body: String,
    attempts: i64,
    next_attempt_ms: i64,
}

/// Sends the mails that are due; a mail whose sending was cut short (a crash) is due again
/// five minutes after it was taken.
async fn send_due(st: &AppState) -> AppResult<()> {
    let now = st.clock.now_ms();
    let due: Vec<Queued> = sqlx::query_as(
        "SELECT id, company_id, server_id, system_ids, subject, text_body, html_body, attempts, next_attempt_ms \
         FROM mail_outbox WHERE state IN ('queued', 'sending') AND next_attempt_ms <= $1 ORDER BY created_at LIMIT 50",
    )
    .bind(now)
    .fetch_all(&st.db.pool)
    .await?;
    let sealer = Sealer::open(&st.config.data_dir)?;
    for m in due {
        let claimed = sqlx::query(
            "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1, next_attempt_ms = $1 \
             WHERE id = $2 AND next_attempt_ms = $3 AND state IN ('queued', 'sending')",
        )
        .bind(now + 300_000)
        .bind(&m.id)
        .bind(m.next_attempt_ms)
        .execute(&st.db.pool)
        .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        let attempts = m.attempts + 1;
        let Some(server) = store::get(&st.db, &m.company_id, &m.server_id).await? else {
            give_up(st, &m, "the mail server was deleted", now).await?;
            continue;
        };
        let password = sealer.open_sealed(&server.password_enc)?;
        let sent = super::mailer::send_classified(
            &server,
            &password,
            &m.subject,
            m.text_body.clone(),
            Some(m.html_body.clone()),
        )
        .await;
        match sent {
            Ok(()) => {
                sqlx::query("UPDATE mail_outbox SET state = 'sent', sent_at = $1, last_error = NULL WHERE id = $2")
                    .bind(now)
                    .bind(&m.id)
                    .execute(&st.db.pool)
                    .await?;
                store::set_error(&st.db, &server.id, None, now).await?;
            }
            Err((why, again)) => {
                let text = Tr::default().msg(&why);
                store::set_error(&st.db, &server.id, Some(&text), now).await?;
                if again && attempts < MAX_ATTEMPTS {
                    let wait = 60_000 * (1i64 << (attempts - 1).min(6));
                    sqlx::query("UPDATE mail_outbox SET state = 'queued', next_attempt_ms = $1, last_error = $2 WHERE id = $3")
                        .bind(now + wait)
                        .bind(&text)
                        .bind(&m.id)
                        .execute(&st.db.pool)
                        .await?;
                } else {
                    give_up(st, &m, &text, now).await?;
                }
            }
        }
    }
    Ok(())
}

/// Marks the mail failed and raises an alert on each system it was about.
async fn give_up(st: &AppState, m: &Queued, why: &str, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE mail_outbox SET state = 'failed', last_error = $1 WHERE id = $2")
        .bind(why)
        .bind(&m.id)
        .execute(&st.db.pool)
        .await?;
    tracing::error!(mail = %m.id, error = %why, "an e-mail warning could not be sent");
    for system in m.system_ids.split(',').filter(|s| !s.is_empty()) {
        let c = crate::alerts::store::Condition {
            kind: "mail_failed",
            subject: &m.server_id,
            severity: "warning",
            message: crate::msg!("alert-mail-failed", why = why),
            source: "server",
        };
        crate::alerts::store::open(&st.db, system, &c, now).await?;
    }
    Ok(())
}
