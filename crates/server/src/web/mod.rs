//! Shared pieces of the web UI: page layout data, the error page, the shared list component,
//! static assets and the cross-site request forgery guard.

pub mod assets;
pub mod cookies;
pub mod csrf;
pub mod errors;
pub mod etag;
pub mod list;
pub mod markdown;
pub mod metrics;
pub mod paging;
pub mod roles;
pub mod security;
pub mod text;

use crate::i18n::Tr;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Data every page's layout needs, and the reader's language for every word of the page:
/// templates write `{{ layout.t("key") }}`, never text of their own.
pub struct Layout {
    pub title: String,
    /// Navigation key of the active menu entry (`systems`, `admin-systems`, …).
    pub nav: &'static str,
    /// E-mail of the logged-in user; empty on the login page.
    pub user: String,
    /// Show the operator's menu entry.
    pub operator: bool,
    /// The reader's language and time zone.
    pub tr: Tr,
    /// The online help's page for this page (`/help/{help}`).
    pub help: &'static str,
}

impl Layout {
    /// A page whose title is already text (a system's name in it).
    pub fn new(
        title: impl Into<String>,
        nav: &'static str,
        user: &crate::auth::CurrentUser,
    ) -> Self {
        Layout {
            title: title.into(),
            nav,
            user: user.email.clone(),
            operator: user.is_operator,
            tr: user.tr(),
            help: help_for(nav),
        }
    }

    /// A page titled by the catalog key `key`.
    pub fn page(key: &str, nav: &'static str, user: &crate::auth::CurrentUser) -> Self {
        Layout::new(user.tr().t(key), nav, user)
    }

    /// A page for nobody logged in, in the request's language.
    pub fn anonymous(key: &str, meta: &crate::context::ReqMeta) -> Self {
        let tr = meta.tr();
        Layout {
            title: tr.t(key),
            nav: "",
            user: String::new(),
            operator: false,
            tr,
            help: "",
        }
    }

    /// A public page: with the navigation, in their language, for a logged-in user; in the
    /// browser's language for anybody else.
    pub async fn for_request(
        st: &crate::state::AppState,
        headers: &axum::http::HeaderMap,
        meta: &crate::context::ReqMeta,
        key: &str,
        nav: &'static str,
    ) -> Layout {
        match crate::auth::session::resolve(st, headers)
            .await
            .ok()
            .flatten()
        {
            Some(u) => Layout::page(key, nav, &u),
            None => Layout::anonymous(key, meta),
        }
    }

    /// With the online help's page for this page.
    pub fn with_help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }

    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }

    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.tr.t1(key, name, value)
    }

    /// The text of `key` with two text arguments.
    pub fn t2(
        &self,
        key: &str,
        n1: &str,
        v1: impl std::fmt::Display,
        n2: &str,
        v2: impl std::fmt::Display,
    ) -> String {
        self.tr.msg(
            &crate::i18n::Msg::new(key.to_owned())
                .text(n1.to_owned(), v1.to_string())
                .text(n2.to_owned(), v2.to_string()),
        )
    }

    pub fn tn(&self, key: &str, name: &str, n: impl Count) -> String {
        self.tr.tn(key, name, n.count() as i64)
    }

    pub fn msg(&self, m: &crate::i18n::Msg) -> String {
        self.tr.msg(m)
    }

    /// A time in the reader's zone and language; empty for `None`.
    pub fn dt(&self, ms: &Option<i64>) -> String {
        self.tr.datetime(*ms)
    }

    /// "3 of 10 shown".
    pub fn shown(&self, shown: impl Count, total: impl Count) -> String {
        self.tr.msg(
            &crate::i18n::Msg::new("list-shown")
                .num("shown", shown.count())
                .num("total", total.count()),
        )
    }

    /// Role names from their keys, joined.
    pub fn roles(&self, keys: &[&'static str]) -> String {
        crate::systems::paths::labels(keys, &self.tr)
    }

    /// "3 of 10 telephones, 1 of 2 accounts shown".
    pub fn registrations_shown(
        &self,
        p: impl Count,
        pt: impl Count,
        a: impl Count,
        at: impl Count,
    ) -> String {
        self.tr.msg(
            &crate::i18n::Msg::new("registrations-shown")
                .num("phones", p.count())
                .num("phones_total", pt.count())
                .num("accounts", a.count())
                .num("accounts_total", at.count()),
        )
    }

    /// "3 of 10 telephones shown" (`key` names what).
    pub fn fleet_shown(&self, key: &str, shown: impl Count, total: impl Count) -> String {
        self.tr.msg(
            &crate::i18n::Msg::new(key.to_owned())
                .num("shown", shown.count())
                .num("total", total.count()),
        )
    }

    /// A role's name from its key (`administrator`).
    pub fn role(&self, key: &str) -> String {
        self.tr.t(&format!("role-{key}"))
    }

    pub fn lang(&self) -> &'static str {
        self.tr.locale.code()
    }
}

/// A number of things, however the template holds it (templates pass references).
pub trait Count {
    fn count(&self) -> f64;
}

macro_rules! count_for {
    ($($t:ty),*) => {$(
        impl Count for $t {
            fn count(&self) -> f64 {
                *self as f64
            }
        }
    )*};
}
count_for!(usize, i64, u64, i32, u32);

impl<T: Count> Count for &T {
    fn count(&self) -> f64 {
        (**self).count()
    }
}

/// The help page that explains the pages under a navigation entry.
fn help_for(nav: &str) -> &'static str {
    match nav {
        "systems" => "systems",
        "groups" => "groups",
        "authorisations" => "authorisations",
        "admin-systems" => "administration",
        "operator" | "operator-news" => "operator",
        "account" => "account",
        "audit" => "audit",
        "dashboard" => "dashboard",
        "api" => "api",
        _ => "",
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    status: u16,
    message: &'a str,
    /// A same-origin page the user came from, offered as the way back.
    back: &'a str,
    request_id: &'a str,
}

pub use crate::error::ErrorShown;

/// A page that says what went wrong and offers the way back ([`errors::decorate`] renders
/// it for the user, in their language, with the navigation).
pub fn error_page(status: StatusCode, code: &'static str, msg: crate::i18n::Msg) -> Response {
    crate::error::shown(status, code, msg, false)
}

/// The error page for `user` (with navigation) or for nobody, with a way back.
pub fn error_page_for(
    status: StatusCode,
    message: &str,
    user: Option<&crate::auth::CurrentUser>,
    back: &str,
    meta: &crate::context::ReqMeta,
) -> Response {
    let key = format!("status-{}", status.as_u16());
    let mut layout = match user {
        Some(u) => Layout::page(&key, "", u),
        None => Layout::anonymous(&key, meta),
    };
    if layout.title == key {
        layout.title = layout.t("status-other");
    }
    let page = ErrorPage {
        layout,
        status: status.as_u16(),
        message,
        back,
        request_id: &meta.request_id,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message.to_owned()).into_response(),
    }
}

/// Renders a template into a response, logging (not showing) template errors.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => crate::error::AppError::internal(format!("template: {e}")).into_response(),
    }
}

/// Back to `path` with a notice for the person (a result or a refusal in words), shown by
/// the page from its `notice` query parameter. `extra` is appended to the query as is.
pub fn back_with_notice(path: &str, notice: &str, extra: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let q: String = url::form_urlencoded::byte_serialize(notice.as_bytes()).collect();
    axum::response::Redirect::to(&format!("{path}?notice={q}{extra}")).into_response()
}

/// A CSV cell a spreadsheet will not run as a formula: text that starts with `=`, `+`, `-`,
/// `@` (a typed address, a number like `+49 …`) gets a leading apostrophe.
pub fn inert_cell(cell: &str) -> String {
    inert(cell).into_owned()
}

/// [`inert_cell`] without a copy when the cell is harmless (nearly always).
pub fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}
