//! The online help: the product's own Markdown pages (`crates/server/help/{en,de}/*.md`),
//! compiled in and rendered on the server in the reader's language. Every page's header
//! links the help for that page (`Layout::help`).

use crate::context::ReqMeta;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

macro_rules! pages {
    ($($slug:literal),* $(,)?) => {
        /// `(slug, English, German)` of every help page.
        pub const PAGES: &[(&str, &str, &str)] = &[
            $(($slug,
               include_str!(concat!("../../help/en/", $slug, ".md")),
               include_str!(concat!("../../help/de/", $slug, ".md")))),*
        ];
    };
}

pages!(
    "index",
    "dashboard",
    "systems",
    "administration",
    "authorisations",
    "groups",
    "audit",
    "account",
    "operator",
    "api",
);

/// The Markdown of a help page in a language.
pub fn source(slug: &str, locale: Locale) -> Option<&'static str> {
    let slug = if slug.is_empty() { "index" } else { slug };
    PAGES
        .iter()
        .find(|(s, _, _)| *s == slug)
        .map(|(_, en, de)| match locale {
            Locale::En => *en,
            Locale::De => *de,
        })
}

#[derive(Template)]
#[template(path = "help.html")]
struct Page {
    layout: Layout,
    body: String,
}

pub async fn index(
    State(st): State<crate::state::AppState>,
    meta: ReqMeta,
    headers: HeaderMap,
) -> AppResult<Response> {
    show(&st, &meta, &headers, "index").await
}

pub async fn page(
    State(st): State<crate::state::AppState>,
    meta: ReqMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    show(&st, &meta, &headers, &slug).await
}

async fn show(
    st: &crate::state::AppState,
    meta: &ReqMeta,
    headers: &HeaderMap,
    slug: &str,
) -> AppResult<Response> {
    let mut layout = Layout::for_request(st, headers, meta, "help-title", "").await;
    let source = source(slug, layout.tr.locale).ok_or(AppError::NotFound)?;
    layout.help = "";
    Ok(render(&Page {
        layout,
        body: crate::web::markdown::to_html(source),
    }))
}
