//! The router and the listener loop: `start` opens the store, `serve` answers HTTP(S) on an
//! already bound listener until `shutdown` resolves.

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::route::RouteDef;
use crate::state::AppState;
use crate::{gateway, pairing, systems, web};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use std::future::Future;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

/// Opens the database (running migrations) and prepares the shared state.
pub async fn start(config: Config, clock: Clock) -> AppResult<AppState> {
    let db = Db::connect(&config.database_url()).await?;
    crate::jobs::node::keep_node_id(&config);
    let blobs = crate::blobs::Blobs::open(&config.blob_url())?;
    tracing::info!(url = %blobs.url, "blob store");
    let mut st = AppState::new(db, config, clock);
    st.blobs = Some(std::sync::Arc::new(blobs));
    systems::store::mark_own_offline(&st.db, &st.node).await?;
    if let Some(cfg) = st.config.cluster.clone() {
        let cluster = std::sync::Arc::new(crate::cluster::Cluster::connect(&cfg, &st.node).await?);
        st.link = std::sync::Arc::new(crate::cluster::link::ClusterLink {
            local: st.gateway.clone(),
            db: st.db.clone(),
            cluster: cluster.clone(),
        });
        st.cluster = Some(cluster);
        tracing::info!(nats = %cfg.nats_url, prefix = %cfg.prefix, "this node is part of a cluster");
    }
    tracing::info!(node = %st.node, "this node's name");
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
            "HEAD",
            "/device/v1/transfers/{id}",
            axum::routing::head(crate::transfers::routes::head),
        ),
        r(
            "PUT",
            "/device/v1/transfers/{id}",
            axum::routing::put(crate::transfers::routes::put),
        ),
        r(
            "GET",
            "/device/v1/transfers/{id}",
            get(crate::transfers::routes::get),
        ),
        r(
            "GET",
            zentrale_protocol::tunnel::TUNNEL_PATH,
            get(crate::remote::device::connect),
        ),
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
        r(
            "GET",
            crate::cluster::relay::RELAY_PATH,
            get(crate::cluster::relay::serve),
        ),
        r("GET", "/healthz", get(healthz)),
        r("GET", "/readyz", get(ready)),
        r("GET", "/metrics", get(web::metrics::metrics)),
    ]
}

/// Every route of the server.
pub fn all_routes() -> Vec<RouteDef> {
    let mut all = crate::ui_routes::ui_routes();
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
        .layer(axum::middleware::from_fn_with_state(
            st.clone(),
            web::etag::tag,
        ))
        .layer(axum::middleware::from_fn(web::security::headers))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            std::time::Duration::from_secs(body_timeout_s.max(1)),
        ))
        .layer(axum::middleware::from_fn_with_state(
            st.clone(),
            crate::metrics::http::measure,
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

/// Alive, and which node answers (behind a load balancer, the one that did).
async fn healthz(State(st): State<AppState>) -> String {
    format!("ok\nnode {}\n", st.node)
}

async fn ready(State(st): State<AppState>) -> impl IntoResponse {
    if sqlx::query("SELECT 1").execute(&st.db.pool).await.is_err() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable".to_owned(),
        );
    }
    let mut problems = Vec::new();
    if let Some(why) = st.sso_problem.lock().ok().and_then(|p| p.clone()) {
        problems.push(format!("single sign-on unavailable: {why}"));
    }
    if let Some(why) = st.cluster.as_ref().and_then(|c| c.problem()) {
        problems.push(format!(
            "other nodes unreachable ({why}); this node serves its own PBXes"
        ));
    }
    // Local logins and devices work: ready, and each problem is named.
    if problems.is_empty() {
        (StatusCode::OK, "ready".to_owned())
    } else {
        (StatusCode::OK, format!("ready; {}", problems.join("; ")))
    }
}

/// Serves until `shutdown` resolves; then closes device connections and drains requests.
pub async fn serve(
    st: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> AppResult<()> {
    serve_with_remote(st, listener, None, shutdown).await
}

/// As [`serve`], with the remote origin (the PBXes' web interfaces) on `remote`.
pub async fn serve_with_remote(
    st: AppState,
    listener: TcpListener,
    remote: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> AppResult<()> {
    let gateway = st.gateway.clone();
    let stop = tokio_util::sync::CancellationToken::new();
    // Samples are written until the last device connection has ended (they keep arriving
    // while the connections close), after `stop`.
    let samples_stop = tokio_util::sync::CancellationToken::new();
    let background = spawn_background(st.clone(), stop.clone(), samples_stop.clone());
    tokio::spawn(crate::metrics::probe::run(st.clone(), stop.clone()));
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
                samples_stop.cancel();
                let _ = background.await;
                return Err(e);
            }
        },
        _ => None,
    };
    let timeouts = crate::listener::Timeouts {
        header: std::time::Duration::from_secs(st.config.header_timeout_s.max(1)),
    };
    if let Some(cluster) = st.cluster.clone() {
        join_cluster(&st, &cluster, &listener, tls.is_some(), &stop).await?;
    }
    let remote_task = match remote {
        Some(l) => {
            let origin = crate::remote::service::origin_template(&st, &l)?;
            tracing::info!(%origin, "remote configuration listening");
            let _ = st.remote_origin.set(origin);
            let stopped = stop.clone();
            Some(tokio::spawn(crate::listener::serve(
                l,
                tls.clone(),
                crate::remote::proxy::router(st.clone()),
                timeouts,
                async move { stopped.cancelled().await },
            )))
        }
        None => None,
    };
    crate::listener::serve(listener, tls, app, timeouts, shutdown).await;
    stop.cancel();
    if let Some(t) = remote_task {
        let _ = t.await;
    }
    let served = Ok(());
    stop.cancel();
    devices_gone(&st.gateway).await;
    samples_stop.cancel();
    let _ = background.await;
    served
}

/// Waits (at most 15 s) until every device connection of this node has ended after the
/// shutdown asked them to close.
async fn devices_gone(gateway: &crate::gateway::Registry) {
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while gateway.count() > 0 && tokio::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Enters this node in `cluster_nodes` with the address the others reach it at, and
/// starts its heartbeat and what it answers for the others.
async fn join_cluster(
    st: &AppState,
    cluster: &std::sync::Arc<crate::cluster::Cluster>,
    listener: &TcpListener,
    tls: bool,
    stop: &tokio_util::sync::CancellationToken,
) -> AppResult<()> {
    use crate::cluster::heartbeat;
    let url = match st.config.cluster.as_ref().and_then(|c| c.node_url.clone()) {
        Some(u) => u,
        None => {
            let addr = listener.local_addr().map_err(AppError::internal)?;
            format!("{}://{addr}", if tls { "https" } else { "http" })
        }
    };
    heartbeat::join(
        &st.db,
        &st.node,
        &url,
        &cluster.relay_secret,
        st.clock.now_ms(),
    )
    .await?;
    tracing::info!(%url, "other nodes reach this node at");
    tokio::spawn(heartbeat::run(st.clone(), stop.clone()));
    tokio::spawn(crate::cluster::serve::run(
        st.clone(),
        cluster.clone(),
        stop.clone(),
    ));
    Ok(())
}

/// How long a stopping node lets a running job finish.
const JOB_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// The node's background work: writing monitoring samples (twice a second) and settling
/// them into per-system chunks (every 5 s) in a task of their own, so that a long job never
/// delays a sample; last-seen times (every 30 s) and the jobs (every minute). The jobs end
/// when `stop` is cancelled; the samples end with a last flush when `samples_stop` is.
fn spawn_background(
    st: AppState,
    stop: tokio_util::sync::CancellationToken,
    samples_stop: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let ingest = tokio::spawn(write_samples(st.clone(), samples_stop));
    tokio::spawn(async move {
        let mut job = tokio::time::interval(std::time::Duration::from_secs(
            st.config.job_interval_s.max(1),
        ));
        let mut seen = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tokio::select! {
                _ = job.tick() => {
                    // A job still running when the node stops gets a grace period, then is
                    // left (its transaction rolls back; the next interval runs it again on
                    // whichever node takes its lease), so a slow job cannot hold the stop.
                    let run = Box::pin(crate::jobs::run_due(&st));
                    let abandoned = async {
                        stop.cancelled().await;
                        tokio::time::sleep(JOB_GRACE).await;
                    };
                    tokio::select! {
                        () = run => {}
                        () = abandoned => {
                            tracing::warn!(grace_s = JOB_GRACE.as_secs(), "a job was still running after the stop's grace period; left to run again next interval");
                            break;
                        }
                    }
                }
                _ = seen.tick() => {
                    if let Err(e) = crate::gateway::seen(&st).await {
                        tracing::error!(error = %e, "writing last-seen times failed; will retry");
                    }
                }
                _ = stop.cancelled() => break,
            }
        }
        let _ = ingest.await;
    })
}

/// Flushes monitoring samples every 500 ms and settles the sample log every 5 s.
async fn write_samples(st: AppState, stop: tokio_util::sync::CancellationToken) {
    let mut flush = tokio::time::interval(std::time::Duration::from_millis(500));
    let mut settle = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = flush.tick() => {
                if let Err(e) = st.monitoring.flush(&st.db, st.clock.now_ms(), false).await {
                    tracing::error!(error = ?e, "writing monitoring samples failed; will retry");
                }
            }
            _ = settle.tick() => {
                if let Err(e) = crate::monitoring::store::settle_all(&st.db).await {
                    tracing::error!(error = %e, "settling monitoring samples failed; will retry");
                }
            }
            _ = stop.cancelled() => break,
        }
    }
    // The last flush is tried again while the database is busy (a node stopping in a
    // connect storm waits for a pooled connection), so no received sample is dropped.
    for attempt in 1..=20 {
        match st.monitoring.flush(&st.db, st.clock.now_ms(), true).await {
            Ok(_) => break,
            Err(e) if attempt == 20 => {
                tracing::error!(error = ?e, "last flush of monitoring samples failed; samples lost")
            }
            Err(e) => {
                tracing::warn!(error = ?e, attempt, "last flush of monitoring samples failed; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    }
    let count = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    tracing::info!(
        received = count(&st.monitoring.received),
        stored = count(&st.monitoring.stored),
        "monitoring samples of this run"
    );
}
