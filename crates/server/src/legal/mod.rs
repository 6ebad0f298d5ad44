//! Legal documents: the data protection notice and the terms of use (the operator's
//! Markdown files, else the shipped texts in the reader's language) and the open-source
//! licences of everything in the binary, read from the dependency tree at build time
//! (`build.rs`).

use crate::context::ReqMeta;
use crate::error::AppResult;
use crate::i18n::Locale;
use crate::state::AppState;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::LazyLock;

const PRIVACY: (&str, &str) = (
    include_str!("../../legal/en/privacy.md"),
    include_str!("../../legal/de/privacy.md"),
);
const TERMS: (&str, &str) = (
    include_str!("../../legal/en/terms.md"),
    include_str!("../../legal/de/terms.md"),
);

/// One crate compiled into the binary.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CrateLicence {
    pub name: String,
    pub version: String,
    pub license: String,
    pub repository: String,
    /// Indexes into [`Licences::texts`].
    pub texts: Vec<usize>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Licences {
    pub crates: Vec<CrateLicence>,
    /// The licence files of the crates, each once.
    pub texts: Vec<String>,
}

/// The licences found at build time.
pub static LICENCES: LazyLock<Licences> = LazyLock::new(|| {
    serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/licences.json")))
        .unwrap_or_default()
});

#[derive(Template)]
#[template(path = "legal.html")]
struct DocPage {
    layout: Layout,
    body: String,
}

async fn document(
    st: &AppState,
    meta: &ReqMeta,
    headers: &HeaderMap,
    key: &str,
    configured: Option<&std::path::Path>,
    shipped: (&'static str, &'static str),
) -> AppResult<Response> {
    let layout = Layout::for_request(st, headers, meta, key, "").await;
    let text = match configured.map(std::fs::read_to_string) {
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            tracing::error!(error = %e, "the configured legal document cannot be read; showing the shipped one");
            pick(shipped, layout.tr.locale).to_owned()
        }
        None => pick(shipped, layout.tr.locale).to_owned(),
    };
    Ok(render(&DocPage {
        layout,
        body: crate::web::markdown::to_html(&text),
    }))
}

fn pick(texts: (&'static str, &'static str), locale: Locale) -> &'static str {
    match locale {
        Locale::En => texts.0,
        Locale::De => texts.1,
    }
}

pub async fn privacy(
    State(st): State<AppState>,
    meta: ReqMeta,
    headers: HeaderMap,
) -> AppResult<Response> {
    let file = st.config.legal_privacy_file.clone();
    document(
        &st,
        &meta,
        &headers,
        "legal-privacy",
        file.as_deref(),
        PRIVACY,
    )
    .await
}

pub async fn terms(
    State(st): State<AppState>,
    meta: ReqMeta,
    headers: HeaderMap,
) -> AppResult<Response> {
    let file = st.config.legal_terms_file.clone();
    document(&st, &meta, &headers, "legal-terms", file.as_deref(), TERMS).await
}

#[derive(Template)]
#[template(path = "licenses.html")]
struct LicencesPage<'a> {
    layout: Layout,
    crates: &'a [CrateLicence],
    texts: &'a [String],
    version: &'static str,
}

pub async fn licenses(
    State(st): State<AppState>,
    meta: ReqMeta,
    headers: HeaderMap,
) -> AppResult<Response> {
    let layout = Layout::for_request(&st, &headers, &meta, "legal-licenses", "").await;
    Ok(render(&LicencesPage {
        layout,
        crates: &LICENCES.crates,
        texts: &LICENCES.texts,
        version: crate::dashboard::VERSION,
    }))
}
