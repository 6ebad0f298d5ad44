//! The router and the listener loop: `start` opens the store, `serve` answers HTTP(S) on an
//! already bound listener until `shutdown` resolves.

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::route::RouteDef;
use crate::state::AppState;
use crate::{
    account, auth, authorisations, gateway, groups, monitoring, operator, pairing, registrations,
    systems, web,
};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{delete, get, post};
use std::future::Future;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

/// Opens the database (running migrations) and prepares the shared state.
pub async fn start(config: Config, clock: Clock) -> AppResult<AppState> {
    let db = Db::connect(&config.database_url()).await?;
    systems::store::mark_all_offline(&db).await?;
    let st = AppState::new(db, config, clock);
    check_sso(&st);
    Ok(st)
}

/// Reaches the identity provider in the background; a failure is logged and shown on
/// `/readyz` (local logins work meanwhile; the first single sign-on tries again).
fn check_sso(st: &AppState) {
    let Some(oidc) = st.oidc.clone() else {
        return;
    };
    let problem = st.sso_problem.clone();
    tokio::spawn(async move {
        let result = oidc.check().await;
        if let Err(e) = &result {
            tracing::error!(error = %e, "single sign-on: the identity provider cannot be reached; SSO logins fail until it can");
        }
        if let Ok(mut p) = problem.lock() {
            *p = result.err();
        }
    });
}

fn ui_routes() -> Vec<RouteDef> {
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

fn device_and_ops_routes() -> Vec<RouteDef> {
    let r = RouteDef::new;
    vec![
        r(
            "POST",
            zentrale_protocol::PAIR_PATH,
            post(pairing::routes::pair),
        ),
        r(
            "DELETE",
            zentrale_protocol::REVOKE_PATH,
            delete(pairing::routes::revoke),
        ),
        r("GET", zentrale_protocol::WS_PATH, get(gateway::ws::upgrade)),
        r(
            "GET",
            zentrale_protocol::schema::SCHEMA_PATH,
            get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/schema+json")],
                    zentrale_protocol::schema::document_text(),
                )
            }),
        ),
        r("GET", "/healthz", get(|| async { "ok" })),
        r("GET", "/readyz", get(ready)),
        r("GET", "/metrics", get(web::metrics::metrics)),
    ]
}

/// Every route of the server.
pub fn all_routes() -> Vec<RouteDef> {
    let mut all = ui_routes();
    all.extend(crate::api::routes());
    all.extend(device_and_ops_routes());
    all
}

/// `(method, path)` of every route, for the permission-matrix test.
pub fn route_list() -> Vec<(&'static str, &'static str)> {
    all_routes().iter().map(|r| (r.method, r.path)).collect()
}

pub fn router(st: AppState) -> Router {
    let body_timeout_s = st.config.body_timeout_s;
    let app = all_routes()
        .into_iter()
        .fold(Router::new(), |app, r| app.route(r.path, r.handler));
    app.fallback(not_found)
        .layer(axum::middleware::from_fn(web::text::guard))
        .layer(axum::middleware::from_fn_with_state(
            st.clone(),
            web::csrf::guard,
        ))
        .layer(axum::middleware::from_fn(web::security::bearer_only_on_api))
        .layer(axum::middleware::from_fn_with_state(
            st.clone(),
            web::errors::decorate,
        ))
        .layer(axum::middleware::from_fn(web::security::headers))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            std::time::Duration::from_secs(body_timeout_s.max(1)),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(axum::middleware::from_fn(crate::context::attach))
        .with_state(st)
}

/// The span of a request, named by the request id the context gave it: every log line of
/// the request carries the id.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req
        .extensions()
        .get::<crate::context::ReqMeta>()
        .map(|m| m.request_id.as_str())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
    )
}

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        crate::api::ApiError(AppError::NotFound).into_response()
    } else {
        AppError::NotFound.into_response()
    }
}

async fn ready(State(st): State<AppState>) -> impl IntoResponse {
    if sqlx::query("SELECT 1").execute(&st.db.pool).await.is_err() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable".to_owned(),
        );
    }
    let sso = st.sso_problem.lock().ok().and_then(|p| p.clone());
    match sso {
        // Local logins and devices work: ready, and the problem is named.
        Some(why) => (
            StatusCode::OK,
            format!("ready; single sign-on unavailable: {why}"),
        ),
        None => (StatusCode::OK, "ready".to_owned()),
    }
}

/// Serves until `shutdown` resolves; then closes device connections and drains requests.
pub async fn serve(
    st: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> AppResult<()> {
    let gateway = st.gateway.clone();
    let stop = tokio_util::sync::CancellationToken::new();
    let background = spawn_background(st.clone(), stop.clone());
    let stopper = stop.clone();
    let shutdown = async move {
        shutdown.await;
        gateway.close_all();
        stopper.cancel();
    };
    let app = router(st.clone());
    let tls = match (&st.config.tls_cert, &st.config.tls_key) {
        (Some(cert), Some(key)) => match crate::tls::acceptor(cert, key) {
            Ok(a) => Some(a),
            Err(e) => {
                stop.cancel();
                let _ = background.await;
                return Err(e);
            }
        },
        _ => None,
    };
    let timeouts = crate::listener::Timeouts {
        header: std::time::Duration::from_secs(st.config.header_timeout_s.max(1)),
    };
    crate::listener::serve(listener, tls, app, timeouts, shutdown).await;
    let served = Ok(());
    stop.cancel();
    let _ = background.await;
    served
}

/// The node's background work: writing monitoring samples (twice a second) and the
/// monitoring job (every minute). Ends with a last flush when `stop` is cancelled.
fn spawn_background(
    st: AppState,
    stop: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut flush = tokio::time::interval(std::time::Duration::from_millis(500));
        let mut job = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = flush.tick() => {
                    if let Err(e) = st.monitoring.flush(&st.db, st.clock.now_ms(), false).await {
                        tracing::error!(error = ?e, "writing monitoring samples failed; will retry");
                    }
                }
                _ = job.tick() => {
                    if let Err(e) = crate::monitoring::jobs::run_once(&st).await {
                        tracing::error!(error = %e, "monitoring job failed");
                    }
                    if let Err(e) = crate::alerts::rules::run_once(&st).await {
                        tracing::error!(error = %e, "alert rules failed");
                    }
                    if let Err(e) = crate::audit::retain(&st).await {
                        tracing::error!(error = %e, "audit-log retention failed; will retry");
                    }
                }
                _ = stop.cancelled() => break,
            }
        }
        if let Err(e) = st.monitoring.flush(&st.db, st.clock.now_ms(), true).await {
            tracing::error!(error = %e, "last flush of monitoring samples failed");
        }
    })
}
