//! The router and the listener loop: `start` opens the store, `serve` answers HTTP(S) on an
//! already bound listener until `shutdown` resolves.

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{account, auth, authorisations, gateway, groups, pairing, systems, web};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{delete, get, post};
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

/// Opens the database (running migrations) and prepares the shared state.
pub async fn start(config: Config, clock: Clock) -> AppResult<AppState> {
    let db = Db::connect(&config.database_url()).await?;
    systems::store::mark_all_offline(&db).await?;
    Ok(AppState::new(db, config, clock))
}

pub fn router(st: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/systems") }))
        .route(
            "/login",
            get(auth::routes::login_page).post(auth::routes::login),
        )
        .route("/logout", post(auth::routes::logout))
        .route("/account", get(account::routes::show))
        .route("/account/password", post(account::routes::change_password))
        .route(
            "/account/sessions/end-others",
            post(account::routes::end_other_sessions),
        )
        .route(
            "/account/sessions/{handle}/end",
            post(account::routes::end_session),
        )
        .route("/account/tokens", post(account::routes::create_token))
        .route(
            "/account/tokens/{id}/revoke",
            post(account::routes::revoke_token),
        )
        .route("/systems", get(systems::routes::overview))
        .route("/systems/{id}", get(systems::routes::info))
        .route(
            "/admin/systems",
            get(systems::routes::admin).post(systems::routes::create),
        )
        .route(
            "/admin/systems/delete",
            post(systems::routes::delete_selected),
        )
        .route("/admin/systems/{id}/token", post(systems::routes::renew))
        .route(
            "/admin/systems/{id}/token/cancel",
            post(systems::routes::cancel),
        )
        .route(
            "/authorisations",
            get(authorisations::routes::page).post(authorisations::routes::create),
        )
        .route(
            "/authorisations/delete",
            post(authorisations::routes::delete_selected),
        )
        .route(
            "/authorisations/{id}",
            get(authorisations::routes::edit_page).post(authorisations::routes::update),
        )
        .route(
            "/groups",
            get(groups::routes::groups).post(groups::routes::create),
        )
        .route("/groups/own", get(groups::routes::own))
        .route("/groups/delete", post(groups::routes::delete_selected))
        .route(
            "/groups/{id}",
            get(groups::routes::configure).post(groups::routes::update),
        )
        .route("/groups/{id}/join", post(groups::routes::join))
        .route("/groups/{id}/leave", post(groups::routes::leave))
        .route("/groups/{id}/members", post(groups::routes::add_member))
        .route(
            "/groups/{id}/members/delete",
            post(groups::routes::remove_members),
        )
        .route(
            "/groups/{id}/members/{user}",
            post(groups::routes::set_member_role),
        )
        .route("/groups/{id}/systems", post(groups::routes::add_system))
        .route(
            "/groups/{id}/systems/delete",
            post(groups::routes::remove_systems),
        )
        .route(zentrale_protocol::PAIR_PATH, post(pairing::routes::pair))
        .route(
            zentrale_protocol::REVOKE_PATH,
            delete(pairing::routes::revoke),
        )
        .route(zentrale_protocol::WS_PATH, get(gateway::ws::upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/static/app.css", get(web::assets::css))
        .route("/static/app.js", get(web::assets::js))
        .fallback(|| async { AppError::NotFound })
        .layer(axum::middleware::from_fn(web::csrf::guard))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(TraceLayer::new_for_http())
        .with_state(st)
}

async fn ready(State(st): State<AppState>) -> impl IntoResponse {
    match sqlx::query("SELECT 1").execute(&st.db.pool).await {
        Ok(_) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// Serves until `shutdown` resolves; then closes device connections and drains requests.
pub async fn serve(
    st: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> AppResult<()> {
    let gateway = st.gateway.clone();
    let shutdown = async move {
        shutdown.await;
        gateway.close_all();
    };
    let app = router(st.clone());
    if let (Some(cert), Some(key)) = (&st.config.tls_cert, &st.config.tls_key) {
        let acceptor = crate::tls::acceptor(cert, key)?;
        return crate::tls::serve(listener, acceptor, app, shutdown).await;
    }
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(AppError::internal)
}
