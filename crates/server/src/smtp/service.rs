//! Outgoing mail servers of a company (Administration › SMTP) and the server each system's
//! warnings use. Who may manage them: a user who owns or administers at least one system of
//! the company (docs/architecture.md). Passwords are sealed at rest and never shown again.

use super::secret::Sealer;
use super::store::{self, ServerRow};
use crate::access;
use crate::audit::Event;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What a person enters for a server; `password: None` keeps the stored one.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub name: String,
    pub address: String,
    pub port: i64,
    pub username: String,
    pub password: Option<String>,
    pub sender: String,
    pub recipient: String,
    pub no_tls: bool,
    pub default: bool,
    pub ca_pem: String,
}

/// A server as lists show it: the row and how many systems send through it.
pub struct Listed {
    pub row: ServerRow,
    pub systems: usize,
}

async fn require_admin(st: &AppState, ctx: &Ctx) -> AppResult<()> {
    if access::managed_systems(st, ctx).await?.is_empty() {
        return Err(AppError::Forbidden(crate::msg!("smtp-admin-only")));
    }
    Ok(())
}

fn sealer(st: &AppState) -> AppResult<Sealer> {
    Sealer::open(&st.config.data_dir)
}

fn check(i: &Input) -> AppResult<()> {
    let bad = |m| Err(AppError::BadRequest(m));
    if i.name.trim().is_empty() || i.name.chars().count() > 100 {
        return bad(crate::msg!("smtp-bad-name"));
    }
    let host = i.address.trim();
    if host.is_empty()
        || host.len() > 253
        || host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@')
    {
        return bad(crate::msg!("smtp-bad-host"));
    }
    if !(1..=65535).contains(&i.port) {
        return bad(crate::msg!("smtp-port-range"));
    }
    if i.username.chars().count() > 255
        || i.password.as_ref().is_some_and(|p| p.chars().count() > 255)
    {
        return bad(crate::msg!("smtp-too-long"));
    }
    for (field, v) in [("sender", &i.sender), ("recipient", &i.recipient)] {
        if v.contains(['\r', '\n']) || v.parse::<lettre::message::Mailbox>().is_err() {
            return bad(crate::msg!("smtp-bad-address", field = field));
        }
    }
    if !i.ca_pem.trim().is_empty()
        && lettre::transport::smtp::client::Certificate::from_pem(i.ca_pem.as_bytes()).is_err()
    {
        return bad(crate::msg!("smtp-bad-ca", why = "not a PEM certificate"));
    }
    Ok(())
}

pub async fn list(st: &AppState, ctx: &Ctx) -> AppResult<Vec<Listed>> {
    require_admin(st, ctx).await?;
    let rows = store::of_company(&st.db, ctx.company_id.as_str()).await?;
    let choices = store::choices(&st.db, ctx.company_id.as_str()).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let systems = choices
                .iter()
                .filter(|(_, chosen)| match chosen {
                    Some(id) => *id == row.id,
                    None => row.is_default == 1,
                })
                .count();
            Listed { row, systems }
        })
        .collect())
}

pub async fn get(st: &AppState, ctx: &Ctx, id: &str) -> AppResult<ServerRow> {
    require_admin(st, ctx).await?;
    store::get(&st.db, ctx.company_id.as_str(), id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn create(st: &AppState, ctx: &Ctx, i: Input) -> AppResult<ServerRow> {
    require_admin(st, ctx).await?;
    check(&i)?;
    let now = st.clock.now_ms();
    let row = ServerRow {
        id: crate::ids::new_id(),
        company_id: ctx.company_id.to_string(),
        name: i.name.trim().to_owned(),
        address: i.address.trim().to_owned(),
        port: i.port,
        username: i.username.trim().to_owned(),
        password_enc: sealer(st)?.seal(i.password.as_deref().unwrap_or(""))?,
        sender: i.sender.trim().to_owned(),
        recipient: i.recipient.trim().to_owned(),
        no_tls: i64::from(i.no_tls),
        is_default: i64::from(i.default),
        ca_pem: i.ca_pem.trim().to_owned(),
        last_error: None,
        last_error_at: None,
        created_at: now,
        updated_at: now,
    };
    store::save(&st.db, &row, true).await?;
    ctx.audit(st, Event::new("smtp.created").arg("name", row.name.clone()))
        .await?;
    Ok(row)
}

pub async fn update(st: &AppState, ctx: &Ctx, id: &str, i: Input) -> AppResult<ServerRow> {
    let mut row = get(st, ctx, id).await?;
    check(&i)?;
    row.name = i.name.trim().to_owned();
    row.address = i.address.trim().to_owned();
    row.port = i.port;
    row.username = i.username.trim().to_owned();
    if let Some(p) = i.password.filter(|p| !p.is_empty()) {
        row.password_enc = sealer(st)?.seal(&p)?;
    }
    row.sender = i.sender.trim().to_owned();
    row.recipient = i.recipient.trim().to_owned();
    row.no_tls = i64::from(i.no_tls);
    row.is_default = i64::from(i.default);
    row.ca_pem = i.ca_pem.trim().to_owned();
    row.updated_at = st.clock.now_ms();
    store::save(&st.db, &row, false).await?;
    ctx.audit(st, Event::new("smtp.changed").arg("name", row.name.clone()))
        .await?;
    Ok(row)
}

pub async fn delete(st: &AppState, ctx: &Ctx, id: &str) -> AppResult<()> {
    let row = get(st, ctx, id).await?;
    store::delete(&st.db, ctx.company_id.as_str(), id).await?;
    ctx.audit(st, Event::new("smtp.deleted").arg("name", row.name))
        .await
}

/// Sends a test mail to the server's recipient; a refusal (502) carries the server's answer.
pub async fn test(st: &AppState, ctx: &Ctx, id: &str) -> AppResult<()> {
    let row = get(st, ctx, id).await?;
    let password = sealer(st)?.open_sealed(&row.password_enc)?;
    let tr = ctx.tr();
    let subject = tr.t("smtp-test-subject");
    let text = tr.t1("smtp-test-body", "name", &row.name);
    let sent = super::mailer::send(&row, &password, &subject, text, None).await;
    let now = st.clock.now_ms();
    match sent {
        Ok(()) => {
            store::set_error(&st.db, &row.id, None, now).await?;
            Ok(())
        }
        Err(m) => {
            store::set_error(
                &st.db,
                &row.id,
                Some(&crate::i18n::Tr::default().msg(&m)),
                now,
            )
            .await?;
            Err(AppError::Upstream(m))
        }
    }
}

/// The system's warnings go through `server` (`None`: the company's default again).
pub async fn choose(
    st: &AppState,
    ctx: &Ctx,
    cap: &access::Manager,
    server: Option<&str>,
) -> AppResult<()> {
    if let Some(id) = server {
        store::get(&st.db, cap.system().company_id.as_str(), id)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    store::set_system_server(&st.db, cap.id(), server).await?;
    ctx.audit(
        st,
        Event::new("smtp.chosen")
            .system(cap.id())
            .arg("server", server.unwrap_or("")),
    )
    .await
}
