//! News: the platform operator writes them (title, Markdown body, publish time, languages);
//! every user sees the published ones newest first on the Dashboard, unread ones marked.

pub mod routes;
pub mod store;

use crate::audit::Event;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::state::AppState;

pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 20_000;

/// Markdown rendered to HTML, then cleaned by a sanitiser (ammonia): only harmless markup
/// and links survive, whatever the operator typed.
pub fn body_html(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut raw = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, Options::ENABLE_TABLES));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

/// What the operator entered.
pub struct Draft<'a> {
    pub title: &'a str,
    pub body: &'a str,
    /// ms since the epoch; the news shows from then on.
    pub publish_at: i64,
    pub languages: Vec<Locale>,
}

/// Publishes news (operator only; `op` proves it).
pub async fn create(
    st: &AppState,
    op: &crate::operator::service::Operator,
    ctx: &Ctx,
    d: Draft<'_>,
) -> AppResult<String> {
    let _ = op;
    let title = d.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(AppError::BadRequest(crate::msg!(
            "err-news-title",
            max = MAX_TITLE
        )));
    }
    if d.body.chars().count() > MAX_BODY {
        return Err(AppError::BadRequest(crate::msg!(
            "err-news-body",
            max = MAX_BODY
        )));
    }
    if d.languages.is_empty() {
        return Err(AppError::BadRequest(crate::msg!("err-news-languages")));
    }
    let langs: Vec<&str> = d.languages.iter().map(|l| l.code()).collect();
    let id = crate::ids::new_id();
    store::insert(
        &st.db,
        &store::NewsRow {
            id: id.clone(),
            title: title.to_owned(),
            body: d.body.to_owned(),
            languages: langs.join(","),
            publish_at: d.publish_at,
            created_at: st.clock.now_ms(),
            created_by: ctx.email.clone(),
        },
    )
    .await?;
    ctx.audit(st, Event::new("news.published").arg("title", title))
        .await?;
    Ok(id)
}

/// Deletes news (operator only).
pub async fn delete(
    st: &AppState,
    op: &crate::operator::service::Operator,
    ctx: &Ctx,
    id: &str,
) -> AppResult<()> {
    let _ = op;
    if !store::delete(&st.db, id).await? {
        return Err(AppError::NotFound);
    }
    ctx.audit(st, Event::new("news.deleted").arg("news", id))
        .await
}
