//! The permission matrix: every route of the UI, the API and the device side, requested by
//! every kind of principal, with the expected outcome written out per cell. The test fails
//! when the server has a route the matrix does not list (or the matrix one it does not have).
//!
//! Each route gets a fresh fixture (a system S owned by `own` with authorisations for `mon`,
//! `bak`, `cd`, `adm`; a second system S2; a private group G of `own` with member `bak` and
//! system S; a public group P; an API token and an extra session of `own`), so what one row
//! changes cannot affect another. Within a row the principals act in column order.
//!
//! Outcomes: ok = 2xx or a redirect elsewhere than the login page; login = redirect to the
//! login page or 401; denied = 403; hidden = 404 (indistinguishable from not existing);
//! invalid = 400, 405, 409, 410, 422 or 426.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use crate::matrix_fixture::{cookie_token, fixture, users};
use std::collections::BTreeSet;
use zentrale_server::auth::session;

both_backends!(permission_matrix);

const PRINCIPALS: [&str; 9] = [
    "anon", "none", "mon", "bak", "cd", "adm", "own", "other", "op",
];

pub(crate) enum Body {
    None,
    Form(&'static str),
    Json(&'static str),
}
use Body::{Form, Json, None as NoBody};

pub(crate) struct Row {
    method: &'static str,
    pattern: &'static str,
    url: &'static str,
    body: Body,
    /// One outcome per principal, in the order of [`PRINCIPALS`].
    expect: &'static str,
}

pub(crate) const fn row(
    method: &'static str,
    pattern: &'static str,
    url: &'static str,
    body: Body,
    expect: &'static str,
) -> Row {
    Row {
        method,
        pattern,
        url,
        body,
        expect,
    }
}

#[rustfmt::skip]
fn matrix() -> Vec<Row> {
    vec![
        //                                                                                                         anon   none   mon    bak    cd     adm    own    other  op
        row("GET", "/", "/", NoBody,                                                                               "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/dashboard", "/dashboard", NoBody,                                                             "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/dashboard/preferences", "/dashboard/preferences", Form("language=de&time_zone=Europe%2FBerlin"), "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/help", "/help", NoBody,                                                                       "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/help/", "/help/", NoBody,                                                                     "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/help/{page}", "/help/systems", NoBody,                                                        "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/legal/privacy", "/legal/privacy", NoBody,                                                     "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/legal/terms", "/legal/terms", NoBody,                                                         "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/legal/licenses", "/legal/licenses", NoBody,                                                   "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/admin/audit", "/admin/audit", NoBody,                                                         "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/admin/audit.csv", "/admin/audit.csv?system={sys}", NoBody,                                    "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/operator/news", "/operator/news", NoBody,                                                     "login  denied denied denied denied denied denied denied ok"),
        row("POST", "/operator/news", "/operator/news", Form("title=T{r}{p}&body=Hello&language=en&language=de&publish_at="), "login  denied denied denied denied denied denied denied ok"),
        row("POST", "/operator/news/{id}/delete", "/operator/news/{news}/delete", Form(""),                        "login  denied denied denied denied denied denied denied ok"),
        row("GET", "/api/v1/audit", "/api/v1/audit?system={sys}", NoBody,                                          "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/api/v1/news", "/api/v1/news", NoBody,                                                         "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/login", "/login", NoBody,                                                                     "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/login", "/login", Form("email=nobody{p}%40acme.example&password=wrong+password"),            "login  login  login  login  login  login  login  login  login"),
        row("GET", "/login/code", "/login/code", NoBody,                                                           "login  login  login  login  login  login  login  login  login"),
        row("POST", "/login/code", "/login/code", Form("code=123456"),                                             "login  login  login  login  login  login  login  login  login"),
        row("POST", "/logout", "/logout", Form(""),                                                                "login  login  login  login  login  login  login  login  login"),
        row("GET", "/auth/oidc/login", "/auth/oidc/login", NoBody,                                                 "hidden hidden hidden hidden hidden hidden hidden hidden hidden"),
        row("GET", "/auth/oidc/callback", "/auth/oidc/callback?code=x&state=y", NoBody,                            "hidden hidden hidden hidden hidden hidden hidden hidden hidden"),
        row("GET", "/account", "/account", NoBody,                                                                 "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/account/password", "/account/password", Form("current=wrong+password&new=another+password&repeat=another+password"),
                                                                                                                   "login  invalid invalid invalid invalid invalid invalid invalid invalid"),
        row("POST", "/account/sessions/end-others", "/account/sessions/end-others", Form(""),                      "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/account/sessions/{handle}/end", "/account/sessions/{handle}/end", Form(""),                  "login  hidden hidden hidden hidden hidden ok     hidden hidden"),
        row("POST", "/account/tokens", "/account/tokens", Form("name=t{p}&days="),                                 "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/account/totp/setup", "/account/totp/setup", Form(""),                                        "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/account/totp/confirm", "/account/totp/confirm", Form("code=000000"),                         "login  invalid invalid invalid invalid invalid invalid invalid invalid"),
        row("POST", "/account/totp/disable", "/account/totp/disable", Form("code=000000"),                         "login  invalid invalid invalid invalid invalid invalid invalid invalid"),
        row("POST", "/account/tokens/{id}/revoke", "/account/tokens/{token}/revoke", Form(""),                     "login  hidden hidden hidden hidden hidden ok     hidden hidden"),
        row("GET", "/systems", "/systems", NoBody,                                                                 "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/systems/all/phones", "/systems/all/phones", NoBody,                                           "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/systems/all/accounts", "/systems/all/accounts?q=x&page=2", NoBody,                            "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/systems/{id}", "/systems/{sys}", NoBody,                                                      "login  hidden ok     ok     ok     ok     ok     hidden hidden"),
        row("POST", "/systems/{id}/rename", "/systems/{sys}/rename", Form("name=Renamed+{r}"),                   "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("POST", "/systems/{id}/access/authorisations/{authorisation}/withdraw", "/systems/{sys}/access/authorisations/{auth}/withdraw", Form(""),
                                                                                                                   "login  hidden denied denied denied denied ok     hidden hidden"),
        row("POST", "/systems/{id}/access/groups/{group}/remove", "/systems/{sys}/access/groups/{group}/remove", Form(""),
                                                                                                                   "login  hidden denied denied denied denied ok     hidden hidden"),
        // The fixture's system is not paired: registration status is unavailable (409) to all who see it.
        row("GET", "/systems/{id}/registrations", "/systems/{sys}/registrations", NoBody,                          "login  hidden invalid invalid invalid invalid invalid hidden hidden"),
        row("POST", "/systems/{id}/registrations/refresh", "/systems/{sys}/registrations/refresh", Form(""),       "login  hidden ok     ok     ok     ok     ok     hidden hidden"),
        row("GET", "/systems/{id}/monitoring", "/systems/{sys}/monitoring?period=day", NoBody,                     "login  hidden invalid denied denied invalid invalid hidden hidden"),
        row("GET", "/systems/{id}/alerts", "/systems/{sys}/alerts", NoBody,                                        "login  hidden invalid denied denied invalid invalid hidden hidden"),
        // Backup: the fixture's system is not paired, so its functions are unavailable (409) to the Backup role.
        row("GET", "/systems/{id}/calls", "/systems/{sys}/calls", NoBody,                                          "login  hidden denied denied invalid invalid invalid hidden hidden"),
        row("POST", "/systems/{id}/calls/retrieve", "/systems/{sys}/calls/retrieve", Form(""),                     "login  hidden denied denied invalid invalid invalid hidden hidden"),
        row("GET", "/systems/{id}/calls.csv", "/systems/{sys}/calls.csv", NoBody,                                  "login  hidden denied denied invalid invalid invalid hidden hidden"),
        row("GET", "/calls", "/calls?q=x&sort=duration", NoBody,                                                   "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/calls.csv", "/calls.csv", NoBody,                                                             "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/calls/retrieve", "/calls/retrieve", Form(""),                                               "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/calls/legal", "/calls/legal?next=/calls.csv", NoBody,                                         "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/calls/legal", "/calls/legal", Form("confirm=yes&next=/calls.csv"),                           "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/calls/privacy", "/calls/privacy", Form("retention_days=30&mask_digits=2"),                   "login  denied denied denied denied ok     ok     denied denied"),
        row("GET", "/systems/{id}/backup", "/systems/{sys}/backup", NoBody,                                        "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("POST", "/systems/{id}/backup/create", "/systems/{sys}/backup/create", Form(""),                       "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("POST", "/systems/{id}/backup/{backup}/restore", "/systems/{sys}/backup/none/restore", Form(""),       "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("POST", "/systems/{id}/backup/{backup}/delete", "/systems/{sys}/backup/none/delete", Form(""),         "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("POST", "/systems/{id}/backup/compare", "/systems/{sys}/backup/compare", Form("backup=a&backup=b"),    "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("POST", "/systems/{id}/backup/schedule", "/systems/{sys}/backup/schedule", Form("interval=days&every=1"),
                                                                                                                   "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("GET", "/systems/{id}/firmware", "/systems/{sys}/firmware", NoBody,                                    "login  hidden denied denied denied invalid invalid hidden hidden"),
        row("POST", "/systems/{id}/firmware/update", "/systems/{sys}/firmware/update", Form("version=9.9.9"),      "login  hidden denied denied denied invalid invalid hidden hidden"),
        row("GET", "/operator/firmware", "/operator/firmware", NoBody,                                             "login  denied denied denied denied denied denied denied ok"),
        // The operator's upload page tells what is wrong on the page itself.
        row("POST", "/operator/firmware", "/operator/firmware", Form("version=1"),                                 "login  denied denied denied denied denied denied denied ok"),
        row("POST", "/operator/firmware/{id}/delete", "/operator/firmware/none/delete", Form(""),                  "login  denied denied denied denied denied denied denied hidden"),
        // Mail servers: owners and administrators of the company's systems; the fixture's server is unreachable (502).
        row("GET", "/admin/smtp", "/admin/smtp?q=x", NoBody,                                                       "login  denied denied denied denied ok     ok     denied denied"),
        row("POST", "/admin/smtp", "/admin/smtp", Form("name=Mail+{r}{p}&address=smtp.example.com&port=587&sender=a%40acme.example&recipient=b%40acme.example"),
                                                                                                                   "login  denied denied denied denied ok     ok     denied denied"),
        row("GET", "/admin/smtp/new", "/admin/smtp/new", NoBody,                                                   "login  denied denied denied denied ok     ok     denied denied"),
        row("POST", "/admin/smtp/delete", "/admin/smtp/delete", Form("id={smtp}"),                                 "login  denied denied denied denied ok     hidden denied denied"),
        row("GET", "/admin/smtp/{id}", "/admin/smtp/{smtp}", NoBody,                                               "login  denied denied denied denied ok     ok     denied denied"),
        row("POST", "/admin/smtp/{id}", "/admin/smtp/{smtp}", Form("name=Renamed+{r}&address=127.0.0.1&port=1&sender=a%40acme.example&recipient=b%40acme.example"),
                                                                                                                   "login  denied denied denied denied ok     ok     denied denied"),
        // Check tells the mail server's answer on the page (the fixture's server is unreachable).
        row("POST", "/admin/smtp/{id}/check", "/admin/smtp/{smtp}/check", Form(""),                               "login  denied denied denied denied ok     ok     denied denied"),
        row("GET", "/systems/{id}/smtp", "/systems/{sys}/smtp", NoBody,                                            "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("POST", "/systems/{id}/smtp", "/systems/{sys}/smtp", Form("server={smtp}"),                            "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("POST", "/systems/{id}/smtp/delete", "/systems/{sys}/smtp/delete", Form(""),                           "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("GET", "/api/v1/smtp-servers", "/api/v1/smtp-servers", NoBody,                                         "login  denied denied denied denied ok     ok     denied denied"),
        row("POST", "/api/v1/smtp-servers", "/api/v1/smtp-servers", Json(r#"{"name":"Mail {r}{p}","address":"smtp.example.com","port":587,"sender":"a@acme.example","recipient":"b@acme.example"}"#),
                                                                                                                   "login  denied denied denied denied ok     ok     denied denied"),
        row("GET", "/api/v1/smtp-servers/{id}", "/api/v1/smtp-servers/{smtp}", NoBody,                            "login  denied denied denied denied ok     ok     denied denied"),
        row("PATCH", "/api/v1/smtp-servers/{id}", "/api/v1/smtp-servers/{smtp}", Json(r#"{"name":"Renamed {r}","address":"127.0.0.1","port":1,"sender":"a@acme.example","recipient":"b@acme.example"}"#),
                                                                                                                   "login  denied denied denied denied ok     ok     denied denied"),
        row("DELETE", "/api/v1/smtp-servers/{id}", "/api/v1/smtp-servers/{smtp}", NoBody,                         "login  denied denied denied denied ok     hidden denied denied"),
        row("POST", "/api/v1/smtp-servers/{id}/test", "/api/v1/smtp-servers/{smtp}/test", NoBody,                  "login  denied denied denied denied upstream upstream denied denied"),
        row("PUT", "/api/v1/systems/{id}/smtp", "/api/v1/systems/{sys}/smtp", Json(r#"{"server_id":"{smtp}"}"#),   "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("DELETE", "/api/v1/systems/{id}/smtp", "/api/v1/systems/{sys}/smtp", NoBody,                           "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("GET", "/api/v1/firmware", "/api/v1/firmware", NoBody,                                                 "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/api/v1/firmware", "/api/v1/firmware", Form("version=1"),                                     "login  denied denied denied denied denied denied denied invalid"),
        row("POST", "/api/v1/systems/{id}/firmware-update", "/api/v1/systems/{sys}/firmware-update", Json(r#"{"version":"9.9.9"}"#),
                                                                                                                   "login  hidden denied denied denied invalid invalid hidden hidden"),
        row("GET", "/systems/{id}/activity", "/systems/{sys}/activity", NoBody,                                    "login  hidden ok     ok     ok     ok     ok     hidden hidden"),
        // The Backup role's command: cancelled by the first who may see it, refused (in words on the page) after.
        row("POST", "/systems/{id}/activity/{command}/cancel", "/systems/{sys}/activity/{cmd}/cancel", Form(""),   "login  hidden hidden ok     hidden ok     ok     hidden hidden"),
        row("POST", "/systems/{id}/alerts/{alert}/ack", "/systems/{sys}/alerts/none/ack", Form(""),                "login  hidden invalid denied denied invalid invalid hidden hidden"),
        row("GET", "/alerts", "/alerts", NoBody,                                                                   "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/admin/systems", "/admin/systems", NoBody,                                                     "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/admin/systems", "/admin/systems", Form("name=New&serial=N{r}{p}X00"),                        "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/admin/systems/delete", "/admin/systems/delete", Form("id={sys}"),                            "login  hidden denied denied denied denied ok     hidden hidden"),
        row("POST", "/admin/systems/{id}/token", "/admin/systems/{sys}/token", Form(""),                           "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("POST", "/admin/systems/{id}/token/cancel", "/admin/systems/{sys}/token/cancel", Form(""),             "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("GET", "/authorisations", "/authorisations", NoBody,                                                   "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/authorisations", "/authorisations", Form("user=none%40acme.example&system={sys}&role=monitoring"),
                                                                                                                   "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("POST", "/authorisations/delete", "/authorisations/delete", Form("id={auth}"),                        "login  hidden hidden hidden hidden hidden ok     hidden hidden"),
        row("GET", "/authorisations/{id}", "/authorisations/{auth}", NoBody,                                       "login  hidden hidden hidden hidden hidden ok     hidden hidden"),
        row("POST", "/authorisations/{id}", "/authorisations/{auth}", Form("role=backup"),                         "login  hidden hidden hidden hidden hidden ok     hidden hidden"),
        row("GET", "/groups", "/groups", NoBody,                                                                   "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/groups", "/groups", Form("name=New+{r}+{p}&role=monitoring"),                                    "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/groups/own", "/groups/own", NoBody,                                                           "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/groups/delete", "/groups/delete", Form("id={group}"),                                        "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("GET", "/groups/{id}", "/groups/{group}", NoBody,                                                      "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("POST", "/groups/{id}", "/groups/{group}", Form("name=Renamed+{r}&role=monitoring"),                       "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("POST", "/groups/{id}/join", "/groups/{pgroup}/join", Form(""),                                        "login  ok     ok     ok     ok     ok     invalid hidden hidden"),
        row("POST", "/groups/{id}/leave", "/groups/{group}/leave", Form(""),                                       "login  hidden hidden ok     hidden hidden invalid hidden hidden"),
        row("POST", "/groups/{id}/members", "/groups/{group}/members", Form("email=none%40acme.example&role="),    "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("POST", "/groups/{id}/members/delete", "/groups/{group}/members/delete", Form("user={member}"),        "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("POST", "/groups/{id}/members/{user}", "/groups/{group}/members/{member}", Form("role=monitoring"),    "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("POST", "/groups/{id}/systems", "/groups/{group}/systems", Form("system={sys2}"),                      "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("POST", "/groups/{id}/systems/delete", "/groups/{group}/systems/delete", Form("system={sys}"),         "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("POST", "/operator/accounts", "/operator/accounts", Form("email=nobody%40acme.example&action=disable"),
                                                                                                                   "login  denied denied denied denied denied denied denied invalid"),
        row("GET", "/operator/companies", "/operator/companies", NoBody,                                           "login  denied denied denied denied denied denied denied ok"),
        row("POST", "/operator/companies", "/operator/companies", Form("name=Co+{r}{p}&email=first{r}{p}%40co.example&password=long+enough+pw"),
                                                                                                                   "login  denied denied denied denied denied denied denied ok"),
        row("GET", "/static/app.css", "/static/app.css", NoBody,                                                   "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/static/app.js", "/static/app.js", NoBody,                                                     "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        // REST API
        row("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", NoBody,                                         "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/api/docs", "/api/docs", NoBody,                                                               "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/api/v1/me", "/api/v1/me", NoBody,                                                             "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/api/v1/account/sessions", "/api/v1/account/sessions", NoBody,                                 "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("DELETE", "/api/v1/account/sessions/{handle}", "/api/v1/account/sessions/{handle}", NoBody,            "login  hidden hidden hidden hidden hidden ok     hidden hidden"),
        row("GET", "/api/v1/account/tokens", "/api/v1/account/tokens", NoBody,                                     "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/api/v1/account/tokens", "/api/v1/account/tokens", Json(r#"{"name":"t{p}"}"#),                "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("DELETE", "/api/v1/account/tokens/{id}", "/api/v1/account/tokens/{token}", NoBody,                     "login  hidden hidden hidden hidden hidden ok     hidden hidden"),
        row("GET", "/api/v1/systems", "/api/v1/systems", NoBody,                                                   "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/api/v1/systems", "/api/v1/systems", Json(r#"{"name":"New","serial":"A{r}{p}X00"}"#),         "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/api/v1/systems/{id}", "/api/v1/systems/{sys}", NoBody,                                        "login  hidden ok     ok     ok     ok     ok     hidden hidden"),
        row("DELETE", "/api/v1/systems/{id}", "/api/v1/systems/{sys}", NoBody,                                     "login  hidden denied denied denied denied ok     hidden hidden"),
        row("PATCH", "/api/v1/systems/{id}", "/api/v1/systems/{sys}", Json(r#"{"name":"Renamed {r}"}"#),          "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("GET", "/api/v1/systems/{id}/access", "/api/v1/systems/{sys}/access", NoBody,                          "login  hidden denied denied denied denied ok     hidden hidden"),
        row("DELETE", "/api/v1/systems/{id}/authorisations/{authorisation_id}", "/api/v1/systems/{sys}/authorisations/{auth}", NoBody,
                                                                                                                   "login  hidden denied denied denied denied ok     hidden hidden"),
        row("DELETE", "/api/v1/systems/{id}/groups/{group_id}", "/api/v1/systems/{sys}/groups/{group}", NoBody,    "login  hidden denied denied denied denied ok     hidden hidden"),
        row("POST", "/api/v1/systems/{id}/token", "/api/v1/systems/{sys}/token", NoBody,                           "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("DELETE", "/api/v1/systems/{id}/token", "/api/v1/systems/{sys}/token", NoBody,                         "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("GET", "/api/v1/systems/{id}/registrations", "/api/v1/systems/{sys}/registrations", NoBody,            "login  hidden invalid invalid invalid invalid invalid hidden hidden"),
        row("POST", "/api/v1/systems/{id}/registrations/refresh", "/api/v1/systems/{sys}/registrations/refresh", NoBody,
                                                                                                                   "login  hidden invalid invalid invalid invalid invalid hidden hidden"),
        row("GET", "/api/v1/systems/{id}/monitoring", "/api/v1/systems/{sys}/monitoring", NoBody,                  "login  hidden invalid denied denied invalid invalid hidden hidden"),
        row("GET", "/api/v1/systems/{id}/alerts", "/api/v1/systems/{sys}/alerts", NoBody,                          "login  hidden invalid denied denied invalid invalid hidden hidden"),
        row("GET", "/api/v1/systems/{id}/commands", "/api/v1/systems/{sys}/commands?limit=5", NoBody,              "login  hidden ok     ok     ok     ok     ok     hidden hidden"),
        row("GET", "/api/v1/commands/{id}", "/api/v1/commands/{cmd}", NoBody,                                      "login  hidden hidden ok     hidden ok     ok     hidden hidden"),
        row("POST", "/api/v1/commands/{id}/cancel", "/api/v1/commands/{cmd}/cancel", NoBody,                       "login  hidden hidden ok     hidden invalid invalid hidden hidden"),
        // The fixture's system is not paired: a backup is unavailable (409) to those whose role allows it.
        row("GET", "/api/v1/systems/{id}/calls", "/api/v1/systems/{sys}/calls", NoBody,                            "login  hidden denied denied invalid invalid invalid hidden hidden"),
        row("GET", "/api/v1/systems/{id}/calls.csv", "/api/v1/systems/{sys}/calls.csv?confirm_legal_notice=true", NoBody,
                                                                                                                   "login  hidden denied denied invalid invalid invalid hidden hidden"),
        row("POST", "/api/v1/systems/{id}/calls/retrieve", "/api/v1/systems/{sys}/calls/retrieve", NoBody,         "login  hidden denied denied invalid invalid invalid hidden hidden"),
        row("GET", "/api/v1/calls", "/api/v1/calls?limit=10", NoBody,                                              "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/api/v1/calls/retrieve", "/api/v1/calls/retrieve", NoBody,                                   "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/api/v1/calls.csv", "/api/v1/calls.csv?confirm_legal_notice=true", NoBody,                     "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/api/v1/systems/{id}/backups", "/api/v1/systems/{sys}/backups", NoBody,                       "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("GET", "/api/v1/systems/{id}/backups", "/api/v1/systems/{sys}/backups", NoBody,                        "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("POST", "/api/v1/systems/{id}/backups/compare", "/api/v1/systems/{sys}/backups/compare", Json(r#"{"backups":["a","b"]}"#),
                                                                                                                   "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("POST", "/api/v1/systems/{id}/backups/{backup_id}/restore", "/api/v1/systems/{sys}/backups/none/restore", NoBody,
                                                                                                                   "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("DELETE", "/api/v1/systems/{id}/backups/{backup_id}", "/api/v1/systems/{sys}/backups/none", NoBody,    "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("GET", "/api/v1/systems/{id}/backup-schedule", "/api/v1/systems/{sys}/backup-schedule", NoBody,        "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("PUT", "/api/v1/systems/{id}/backup-schedule", "/api/v1/systems/{sys}/backup-schedule", Json(r#"{"interval":"days","every":1}"#),
                                                                                                                   "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("POST", "/api/v1/systems/{id}/alerts/{alert_id}/ack", "/api/v1/systems/{sys}/alerts/none/ack", NoBody, "login  hidden invalid denied denied invalid invalid hidden hidden"),
        row("GET", "/api/v1/alerts", "/api/v1/alerts", NoBody,                                                     "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/api/v1/authorisations", "/api/v1/authorisations", NoBody,                                     "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/api/v1/authorisations", "/api/v1/authorisations", Json(r#"{"user_email":"none@acme.example","system_id":"{sys}","roles":["monitoring"]}"#),
                                                                                                                   "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("PATCH", "/api/v1/authorisations/{id}", "/api/v1/authorisations/{auth}", Json(r#"{"roles":["backup"]}"#),
                                                                                                                   "login  hidden hidden hidden hidden hidden ok     hidden hidden"),
        row("DELETE", "/api/v1/authorisations/{id}", "/api/v1/authorisations/{auth}", NoBody,                      "login  hidden hidden hidden hidden hidden ok     hidden hidden"),
        row("GET", "/api/v1/groups", "/api/v1/groups", NoBody,                                                     "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("POST", "/api/v1/groups", "/api/v1/groups", Json(r#"{"name":"New {r} {p}","default_role":"monitoring"}"#), "login  ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/api/v1/groups/{id}", "/api/v1/groups/{group}", NoBody,                                        "login  hidden hidden ok     hidden hidden ok     hidden hidden"),
        row("PATCH", "/api/v1/groups/{id}", "/api/v1/groups/{group}", Json(r#"{"name":"Renamed {r}","default_role":"backup"}"#),
                                                                                                                   "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("DELETE", "/api/v1/groups/{id}", "/api/v1/groups/{group}", NoBody,                                     "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("POST", "/api/v1/groups/{id}/join", "/api/v1/groups/{pgroup}/join", NoBody,                            "login  ok     ok     ok     ok     ok     invalid hidden hidden"),
        row("POST", "/api/v1/groups/{id}/leave", "/api/v1/groups/{group}/leave", NoBody,                           "login  hidden hidden ok     hidden hidden invalid hidden hidden"),
        row("POST", "/api/v1/groups/{id}/members", "/api/v1/groups/{group}/members", Json(r#"{"email":"none@acme.example"}"#),
                                                                                                                   "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("PATCH", "/api/v1/groups/{id}/members/{user_id}", "/api/v1/groups/{group}/members/{member}", Json(r#"{"role":"monitoring"}"#),
                                                                                                                   "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("DELETE", "/api/v1/groups/{id}/members/{user_id}", "/api/v1/groups/{group}/members/{member}", NoBody,  "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("POST", "/api/v1/groups/{id}/systems", "/api/v1/groups/{group}/systems", Json(r#"{"system_id":"{sys2}"}"#),
                                                                                                                   "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("DELETE", "/api/v1/groups/{id}/systems/{system_id}", "/api/v1/groups/{group}/systems/{sys}", NoBody,   "login  hidden hidden denied hidden hidden ok     hidden hidden"),
        row("GET", "/api/v1/companies", "/api/v1/companies", NoBody,                                               "login  denied denied denied denied denied denied denied ok"),
        row("POST", "/api/v1/companies", "/api/v1/companies", Json(r#"{"name":"Api Co {r}{p}","email":"api{r}{p}@co.example","password":"long enough pw"}"#),
                                                                                                                   "login  denied denied denied denied denied denied denied ok"),
        // Device side and operations: user sessions play no part.
        row("POST", "/device/v1/pair", "/device/v1/pair", Json(r#"{"serial":"X0000001","token":"AAAA-AAAA-AAAA-AAAA","model":"m","firmware":"2.6.0"}"#),
                                                                                                                   "denied denied denied denied denied denied denied denied denied"),
        row("DELETE", "/device/v1/access", "/device/v1/access", NoBody,                                           "login  login  login  login  login  login  login  login  login"),
        row("HEAD", "/device/v1/transfers/{id}", "/device/v1/transfers/none", NoBody,                             "login  login  login  login  login  login  login  login  login"),
        row("PUT", "/device/v1/transfers/{id}", "/device/v1/transfers/none", NoBody,                              "login  login  login  login  login  login  login  login  login"),
        row("GET", "/device/v1/transfers/{id}", "/device/v1/transfers/none", NoBody,                              "login  login  login  login  login  login  login  login  login"),
        row("GET", "/device/v1/tunnels/{session}", "/device/v1/tunnels/none", NoBody,                             "login  login  login  login  login  login  login  login  login"),
        row("GET", "/cluster/v1/tunnels/{session}", "/cluster/v1/tunnels/none", NoBody,                           "hidden hidden hidden hidden hidden hidden hidden hidden hidden"),
        row("GET", "/device/v1/ws", "/device/v1/ws", NoBody,                                                       "invalid invalid invalid invalid invalid invalid invalid invalid invalid"),
        row("GET", "/device/v1/schema.json", "/device/v1/schema.json", NoBody,                                 "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/healthz", "/healthz", NoBody,                                                                 "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/metrics", "/metrics", NoBody,                                                                 "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
        row("GET", "/readyz", "/readyz", NoBody,                                                                   "ok     ok     ok     ok     ok     ok     ok     ok     ok"),
    ]
}

#[rustfmt::skip]
fn paired_matrix() -> Vec<Row> {
    vec![
        //                                                                                                         anon   none   mon    bak    cd     adm    own    other  op
        row("GET", "/systems/{id}/registrations", "/systems/{psys}/registrations", NoBody,                         "login  hidden ok     ok     ok     ok     ok     hidden hidden"),
        row("GET", "/systems/{id}/monitoring", "/systems/{psys}/monitoring?period=day", NoBody,                    "login  hidden ok     denied denied ok     ok     hidden hidden"),
        row("GET", "/systems/{id}/alerts", "/systems/{psys}/alerts", NoBody,                                       "login  hidden ok     denied denied ok     ok     hidden hidden"),
        row("GET", "/api/v1/systems/{id}/registrations", "/api/v1/systems/{psys}/registrations", NoBody,           "login  hidden ok     ok     ok     ok     ok     hidden hidden"),
        row("GET", "/api/v1/systems/{id}/monitoring", "/api/v1/systems/{psys}/monitoring", NoBody,                 "login  hidden ok     denied denied ok     ok     hidden hidden"),
        row("GET", "/api/v1/systems/{id}/alerts", "/api/v1/systems/{psys}/alerts", NoBody,                         "login  hidden ok     denied denied ok     ok     hidden hidden"),
        row("POST", "/api/v1/systems/{id}/backups", "/api/v1/systems/{psys}/backups", NoBody,                      "login  hidden denied ok     denied ok     ok     hidden hidden"),
        row("GET", "/systems/{id}/firmware", "/systems/{psys}/firmware", NoBody,                                   "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("POST", "/systems/{id}/firmware/update", "/systems/{psys}/firmware/update", Form("version=9.9.9"),     "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("POST", "/api/v1/systems/{id}/firmware-update", "/api/v1/systems/{psys}/firmware-update", Json(r#"{"version":"9.9.9"}"#),
                                                                                                                   "login  hidden denied denied denied invalid invalid hidden hidden"),
        row("GET", "/systems/{id}/backup", "/systems/{psys}/backup", NoBody,                                       "login  hidden denied ok     denied ok     ok     hidden hidden"),
        row("POST", "/systems/{id}/backup/create", "/systems/{psys}/backup/create", Form(""),                      "login  hidden denied ok     denied ok     ok     hidden hidden"),
        // The fixture's backup: the first restore is taken, the later ones hear that one waits (in words on the page).
        row("POST", "/systems/{id}/backup/{backup}/restore", "/systems/{psys}/backup/{bk}/restore", Form(""),      "login  hidden denied ok     denied ok     ok     hidden hidden"),
        // Deleted by the first who may; gone for the others.
        row("POST", "/systems/{id}/backup/{backup}/delete", "/systems/{psys}/backup/{bk}/delete", Form(""),        "login  hidden denied ok     denied hidden hidden hidden hidden"),
        row("POST", "/systems/{id}/backup/compare", "/systems/{psys}/backup/compare", Form("backup={bk}"),         "login  hidden denied ok     denied ok     ok     hidden hidden"),
        row("POST", "/systems/{id}/backup/schedule", "/systems/{psys}/backup/schedule", Form("interval=days&every=1"),
                                                                                                                   "login  hidden denied ok     denied ok     ok     hidden hidden"),
        row("GET", "/api/v1/systems/{id}/backups", "/api/v1/systems/{psys}/backups", NoBody,                       "login  hidden denied ok     denied ok     ok     hidden hidden"),
        row("POST", "/api/v1/systems/{id}/backups/compare", "/api/v1/systems/{psys}/backups/compare", Json(r#"{"backups":["{bk}"]}"#),
                                                                                                                   "login  hidden denied invalid denied invalid invalid hidden hidden"),
        row("POST", "/api/v1/systems/{id}/backups/{backup_id}/restore", "/api/v1/systems/{psys}/backups/{bk}/restore", NoBody,
                                                                                                                   "login  hidden denied ok     denied invalid invalid hidden hidden"),
        row("DELETE", "/api/v1/systems/{id}/backups/{backup_id}", "/api/v1/systems/{psys}/backups/{bk}", NoBody,   "login  hidden denied ok     denied hidden hidden hidden hidden"),
        row("GET", "/systems/{id}/calls", "/systems/{psys}/calls?sort=partner&order=asc", NoBody,                  "login  hidden denied denied ok     ok     ok     hidden hidden"),
        // The first retrieval is taken; the later ones hear (on the page) that one runs.
        row("POST", "/systems/{id}/calls/retrieve", "/systems/{psys}/calls/retrieve", Form(""),                    "login  hidden denied denied ok     ok     ok     hidden hidden"),
        row("GET", "/systems/{id}/calls.csv", "/systems/{psys}/calls.csv", NoBody,                                 "login  hidden denied denied ok     ok     ok     hidden hidden"),
        row("GET", "/api/v1/systems/{id}/calls", "/api/v1/systems/{psys}/calls", NoBody,                           "login  hidden denied denied ok     ok     ok     hidden hidden"),
        // Without the confirmation of the legal notes: 409 for those who may export.
        row("GET", "/api/v1/systems/{id}/calls.csv", "/api/v1/systems/{psys}/calls.csv", NoBody,                   "login  hidden denied denied invalid invalid invalid hidden hidden"),
        row("POST", "/api/v1/systems/{id}/calls/retrieve", "/api/v1/systems/{psys}/calls/retrieve", NoBody,        "login  hidden denied denied ok     invalid invalid hidden hidden"),
        row("GET", "/api/v1/systems/{id}/backup-schedule", "/api/v1/systems/{psys}/backup-schedule", NoBody,       "login  hidden denied ok     denied ok     ok     hidden hidden"),
        row("GET", "/api/v1/systems/{id}/remote-sessions", "/api/v1/systems/{psys}/remote-sessions", NoBody,       "login  hidden denied denied denied ok     ok     hidden hidden"),
        row("PUT", "/api/v1/systems/{id}/backup-schedule", "/api/v1/systems/{psys}/backup-schedule", Json(r#"{"interval":"days","every":1}"#),
                                                                                                                   "login  hidden denied ok     denied ok     ok     hidden hidden"),
    ]
}

/// Makes system `id` paired, connected and manageable as a PBX would report it.
fn outcome(status: u16, location: &str) -> &'static str {
    match status {
        200..=299 => "ok",
        301 | 302 | 303 | 307 | 308 if location.ends_with("/login") => "login",
        301 | 302 | 303 | 307 | 308 => "ok",
        401 => "login",
        403 => "denied",
        404 => "hidden",
        400 | 405 | 409 | 410 | 422 | 426 => "invalid",
        502 => "upstream",
        _ => "unexpected",
    }
}

async fn permission_matrix(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    let st = &srv.st;
    let u = users(st).await;

    // The matrix lists exactly the server's routes.
    let mut rows = matrix();
    rows.extend(crate::matrix_remote::rows());
    let listed: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_owned(), r.pattern.to_owned()))
        .collect();
    let served: BTreeSet<(String, String)> = zentrale_server::app::route_list()
        .into_iter()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect();
    let missing: Vec<_> = served.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the permission matrix: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "matrix rows for routes the server does not have: {extra:?}"
    );
    assert_eq!(rows.len(), listed.len(), "a route is listed twice");
    let rows: Vec<Row> = rows.into_iter().chain(paired_matrix()).collect();

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut failures = Vec::new();
    let mut cells = 0;
    for (r, row) in rows.iter().enumerate() {
        let expect: Vec<&str> = row.expect.split_whitespace().collect();
        assert_eq!(
            expect.len(),
            PRINCIPALS.len(),
            "row {} {} needs one outcome per principal",
            row.method,
            row.pattern
        );
        let subs = fixture(st, &u, r).await;
        for (i, p) in PRINCIPALS.iter().enumerate() {
            let fill = |t: &str| {
                let mut s = subs.iter().fold(t.to_owned(), |s, (k, v)| s.replace(k, v));
                s = s.replace("{p}", &i.to_string());
                s
            };
            let method = reqwest::Method::from_bytes(row.method.as_bytes()).unwrap();
            let mut req = http.request(method, format!("{}{}", srv.url, fill(row.url)));
            if let Some(user) = u.by_name[i].1.as_ref() {
                let origin = session::Origin {
                    user_agent: "matrix".into(),
                    ip: String::new(),
                };
                let c = session::start(st, &user.id, &origin).await.unwrap();
                req = req.header(
                    "cookie",
                    format!("{}={}", session::COOKIE_NAME, cookie_token(&c)),
                );
            }
            req = match &row.body {
                Body::None => req,
                Body::Form(f) => req
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(fill(f)),
                Body::Json(j) => req.header("content-type", "application/json").body(fill(j)),
            };
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let location = resp
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let got = outcome(status, &location);
            cells += 1;
            if got != expect[i] {
                failures.push(format!(
                    "{} {} as {p}: expected {}, got {got} (HTTP {status})",
                    row.method, row.pattern, expect[i]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "permission matrix: {} routes × {} principals = {cells} cells",
        rows.len(),
        PRINCIPALS.len()
    );
    srv.stop().await;
    db.cleanup().await;
}
