//! The web UI's part of the route table: every page and form action with its handler.
//! (`app` adds the API's and the device's parts; tests check each against the permission
//! matrix.)

use crate::route::RouteDef;
use crate::{
    account, auth, authorisations, groups, monitoring, operator, registrations, systems, web,
};
use axum::response::Redirect;
use axum::routing::{get, post};

pub fn ui_routes() -> Vec<RouteDef> {
    let r = RouteDef::new;
    vec![
        r("GET", "/", get(|| async { Redirect::to("/dashboard") })),
        r("GET", "/dashboard", get(crate::dashboard::routes::page)),
        r(
            "POST",
            "/dashboard/preferences",
            post(crate::dashboard::routes::preferences),
        ),
        r("GET", "/help", get(|| async { Redirect::to("/help/") })),
        r("GET", "/help/", get(crate::help::index)),
        r("GET", "/help/{page}", get(crate::help::page)),
        r("GET", "/legal/privacy", get(crate::legal::privacy)),
        r("GET", "/legal/terms", get(crate::legal::terms)),
        r("GET", "/legal/licenses", get(crate::legal::licenses)),
        r("GET", "/admin/audit", get(crate::audit::routes::page)),
        r("GET", "/admin/audit.csv", get(crate::audit::routes::csv)),
        r("GET", "/operator/news", get(crate::news::routes::list)),
        r("POST", "/operator/news", post(crate::news::routes::create)),
        r(
            "POST",
            "/operator/news/{id}/delete",
            post(crate::news::routes::delete),
        ),
        r("GET", "/login", get(auth::routes::login_page)),
        r("POST", "/login", post(auth::routes::login)),
        r("GET", "/login/code", get(auth::second_step::show)),
        r("POST", "/login/code", post(auth::second_step::submit)),
        r("POST", "/logout", post(auth::routes::logout)),
        r("GET", "/auth/oidc/login", get(auth::routes::oidc_login)),
        r(
            "GET",
            "/auth/oidc/callback",
            get(auth::routes::oidc_callback),
        ),
        r("GET", "/account", get(account::routes::show)),
        r(
            "POST",
            "/account/password",
            post(account::routes::change_password),
        ),
        r(
            "POST",
            "/account/sessions/end-others",
            post(account::routes::end_other_sessions),
        ),
        r(
            "POST",
            "/account/sessions/{handle}/end",
            post(account::routes::end_session),
        ),
        r(
            "POST",
            "/account/tokens",
            post(account::routes::create_token),
        ),
        r(
            "POST",
            "/account/tokens/{id}/revoke",
            post(account::routes::revoke_token),
        ),
        r(
            "POST",
            "/account/totp/setup",
            post(account::routes::totp_setup),
        ),
        r(
            "POST",
            "/account/totp/confirm",
            post(account::routes::totp_confirm),
        ),
        r(
            "POST",
            "/account/totp/disable",
            post(account::routes::totp_disable),
        ),
        r("GET", "/systems", get(systems::routes::overview)),
        r(
            "GET",
            "/systems/all/phones",
            get(registrations::fleet::phones),
        ),
        r(
            "GET",
            "/systems/all/accounts",
            get(registrations::fleet::accounts),
        ),
        r("GET", "/systems/{id}", get(systems::routes::info)),
        r(
            "POST",
            "/systems/{id}/rename",
            post(systems::routes::rename),
        ),
        r(
            "POST",
            "/systems/{id}/access/authorisations/{authorisation}/withdraw",
            post(systems::routes::withdraw_authorisation),
        ),
        r(
            "POST",
            "/systems/{id}/access/groups/{group}/remove",
            post(systems::routes::remove_from_group),
        ),
        r(
            "GET",
            "/systems/{id}/registrations",
            get(registrations::routes::page),
        ),
        r(
            "POST",
            "/systems/{id}/registrations/refresh",
            post(registrations::routes::refresh),
        ),
        r(
            "GET",
            "/systems/{id}/monitoring",
            get(monitoring::routes::page),
        ),
        r(
            "GET",
            "/systems/{id}/backup",
            get(crate::backups::routes::page),
        ),
        r(
            "GET",
            "/systems/{id}/firmware",
            get(crate::firmware::routes::system_page),
        ),
        r(
            "POST",
            "/systems/{id}/firmware/update",
            post(crate::firmware::routes::update),
        ),
        r(
            "GET",
            "/systems/{id}/calls",
            get(crate::calls::routes::system_page),
        ),
        r(
            "POST",
            "/systems/{id}/remote",
            post(crate::remote::routes::open),
        ),
        r(
            "POST",
            "/systems/{id}/remote/{session}/close",
            post(crate::remote::routes::close),
        ),
        r(
            "POST",
            "/systems/{id}/calls/retrieve",
            post(crate::calls::routes::retrieve),
        ),
        r(
            "GET",
            "/systems/{id}/calls.csv",
            get(crate::calls::routes::system_csv),
        ),
        r("GET", "/calls", get(crate::calls::routes::all_page)),
        r("GET", "/calls.csv", get(crate::calls::routes::all_csv)),
        r(
            "POST",
            "/calls/retrieve",
            post(crate::calls::routes::retrieve_all),
        ),
        r("GET", "/calls/legal", get(crate::calls::routes::legal_page)),
        r(
            "POST",
            "/calls/legal",
            post(crate::calls::routes::legal_confirm),
        ),
        r(
            "POST",
            "/calls/privacy",
            post(crate::calls::routes::privacy),
        ),
        r("GET", "/admin/smtp", get(crate::smtp::routes::overview)),
        r("POST", "/admin/smtp", post(crate::smtp::routes::create)),
        r("GET", "/admin/smtp/new", get(crate::smtp::routes::new_form)),
        r(
            "POST",
            "/admin/smtp/delete",
            post(crate::smtp::routes::delete_selected),
        ),
        r(
            "GET",
            "/admin/smtp/{id}",
            get(crate::smtp::routes::edit_form),
        ),
        r(
            "POST",
            "/admin/smtp/{id}",
            post(crate::smtp::routes::update),
        ),
        r(
            "POST",
            "/admin/smtp/{id}/check",
            post(crate::smtp::routes::check),
        ),
        r(
            "GET",
            "/systems/{id}/smtp",
            get(crate::smtp::routes::system_page),
        ),
        r(
            "POST",
            "/systems/{id}/smtp",
            post(crate::smtp::routes::system_choose),
        ),
        r(
            "POST",
            "/systems/{id}/smtp/delete",
            post(crate::smtp::routes::system_clear),
        ),
        r(
            "GET",
            "/operator/firmware",
            get(crate::firmware::routes::operator_page),
        ),
        r(
            "POST",
            "/operator/firmware",
            post(crate::firmware::routes::upload)
                .layer(axum::extract::DefaultBodyLimit::max(1100 * 1024 * 1024)),
        ),
        r(
            "POST",
            "/operator/firmware/{id}/delete",
            post(crate::firmware::routes::delete),
        ),
        r(
            "POST",
            "/systems/{id}/backup/create",
            post(crate::backups::routes::create),
        ),
        r(
            "POST",
            "/systems/{id}/backup/{backup}/restore",
            post(crate::backups::routes::restore),
        ),
        r(
            "POST",
            "/systems/{id}/backup/{backup}/delete",
            post(crate::backups::routes::delete),
        ),
        r(
            "POST",
            "/systems/{id}/backup/compare",
            post(crate::backups::routes::compare),
        ),
        r(
            "POST",
            "/systems/{id}/backup/schedule",
            post(crate::backups::routes::schedule),
        ),
        r(
            "GET",
            "/systems/{id}/activity",
            get(crate::commands::routes::page),
        ),
        r(
            "POST",
            "/systems/{id}/activity/{command}/cancel",
            post(crate::commands::routes::cancel),
        ),
        r(
            "GET",
            "/systems/{id}/alerts",
            get(crate::alerts::routes::system_page),
        ),
        r(
            "POST",
            "/systems/{id}/alerts/{alert}/ack",
            post(crate::alerts::routes::acknowledge),
        ),
        r("GET", "/alerts", get(crate::alerts::routes::fleet_page)),
        r("GET", "/admin/systems", get(systems::routes::admin)),
        r("POST", "/admin/systems", post(systems::routes::create)),
        r(
            "POST",
            "/admin/systems/delete",
            post(systems::routes::delete_selected),
        ),
        r(
            "POST",
            "/admin/systems/{id}/token",
            post(systems::routes::renew),
        ),
        r(
            "POST",
            "/admin/systems/{id}/token/cancel",
            post(systems::routes::cancel),
        ),
        r("GET", "/authorisations", get(authorisations::routes::page)),
        r(
            "POST",
            "/authorisations",
            post(authorisations::routes::create),
        ),
        r(
            "POST",
            "/authorisations/delete",
            post(authorisations::routes::delete_selected),
        ),
        r(
            "GET",
            "/authorisations/{id}",
            get(authorisations::routes::edit_page),
        ),
        r(
            "POST",
            "/authorisations/{id}",
            post(authorisations::routes::update),
        ),
        r("GET", "/groups", get(groups::routes::groups)),
        r("POST", "/groups", post(groups::routes::create)),
        r("GET", "/groups/own", get(groups::routes::own)),
        r(
            "POST",
            "/groups/delete",
            post(groups::routes::delete_selected),
        ),
        r("GET", "/groups/{id}", get(groups::configure::configure)),
        r("POST", "/groups/{id}", post(groups::configure::update)),
        r("POST", "/groups/{id}/join", post(groups::routes::join)),
        r("POST", "/groups/{id}/leave", post(groups::routes::leave)),
        r(
            "POST",
            "/groups/{id}/members",
            post(groups::configure::add_member),
        ),
        r(
            "POST",
            "/groups/{id}/members/delete",
            post(groups::configure::remove_members),
        ),
        r(
            "POST",
            "/groups/{id}/members/{user}",
            post(groups::configure::set_member_role),
        ),
        r(
            "POST",
            "/groups/{id}/systems",
            post(groups::configure::add_system),
        ),
        r(
            "POST",
            "/groups/{id}/systems/delete",
            post(groups::configure::remove_systems),
        ),
        r(
            "GET",
            "/operator/companies",
            get(operator::routes::companies),
        ),
        r(
            "POST",
            "/operator/companies",
            post(operator::routes::create),
        ),
        r(
            "POST",
            "/operator/accounts",
            post(operator::routes::account),
        ),
        r("GET", "/static/app.css", get(web::assets::css)),
        r("GET", "/static/app.js", get(web::assets::js)),
    ]
}
