//! What every handler and job shares: database, settings, clock, device connections.

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::gateway::Registry;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Devices connected to this node.
    pub gateway: Arc<Registry>,
    /// How services reach a PBX (this node's registry, or a router to other nodes).
    pub link: Arc<dyn crate::gateway::DeviceLink>,
    /// Running hashes of uploads in progress on this node.
    pub transfer_hashes: Arc<crate::transfers::inflight::Hashes>,
    /// Transfers receiving a piece on this node now.
    pub receiving: Arc<crate::transfers::inflight::Receiving>,
    /// Whether this node serves TLS itself (cookies get `Secure` and the `__Host-` prefix).
    pub tls: bool,
    /// Single sign-on, when configured.
    pub oidc: Option<Arc<crate::auth::oidc::Oidc>>,
    /// Monitoring samples waiting to be written.
    pub monitoring: Arc<crate::monitoring::ingest::Ingest>,
    /// Failed pairing attempts per address and serial.
    pub pair_limit: Arc<crate::pairing::limit::PairLimiter>,
    /// Why single sign-on does not work now (provider unreachable), shown on `/readyz`.
    pub sso_problem: Arc<std::sync::Mutex<Option<String>>>,
    /// This node's name (several nodes may share the database).
    pub node: Arc<str>,
    /// Where bulk data is kept; opened by a serving node (`app::start`).
    pub blobs: Option<Arc<crate::blobs::Blobs>>,
    /// Remote-configuration tunnels held by this node.
    pub remote: Arc<crate::remote::hub::Hub>,
    /// The remote origin's URL template (`{session}` in the host), once this node serves it.
    pub remote_origin: Arc<std::sync::OnceLock<String>>,
    /// This node's figures for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Hellos and status reports waiting to be written together.
    pub infos: Arc<crate::systems::info_batch::InfoBatch>,
    /// Commands' progress notes waiting to be written together.
    pub progress: Arc<crate::commands::progress::ProgressBatch>,
    /// Stores call-record batches, those that arrive together in one transaction.
    pub calls_writer: Arc<crate::calls::writer::Writer>,
    /// Device credential lookups, read together when many PBXes connect at once.
    pub lookups: Arc<crate::pairing::lookup::Lookups<crate::systems::row::SystemRow>>,
    /// How many systems each user may see, per company access marker.
    pub visible_counts: Arc<crate::access::counts::VisibleCounts>,
    /// The other nodes, when this one is part of a cluster (`--nats-url`).
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
}

impl AppState {
    pub fn new(db: Db, config: Config, clock: Clock) -> Self {
        let tls = config.tls_cert.is_some() && config.tls_key.is_some();
        let oidc = config
            .oidc
            .clone()
            .and_then(|c| match crate::auth::oidc::Oidc::new(c) {
                Ok(o) => Some(o),
                Err(e) => {
                    tracing::error!(error = %e, "single sign-on cannot be set up");
                    None
                }
            })
            .map(Arc::new);
        let gateway = Arc::new(Registry::default());
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let commit_delay = metrics.histogram("zentrale_sample_commit_delay_seconds", Vec::new());
        AppState {
            metrics,
            infos: Arc::default(),
            lookups: Arc::default(),
            calls_writer: Arc::default(),
            progress: Arc::default(),
            visible_counts: Arc::default(),
            cluster: None,
            blobs: None,
            remote: Arc::default(),
            remote_origin: Arc::default(),
            node: crate::jobs::node::node_id(&config).into(),
            oidc,
            monitoring: Arc::new(crate::monitoring::ingest::Ingest::new(commit_delay)),
            pair_limit: Arc::default(),
            sso_problem: Arc::default(),
            db,
            config: Arc::new(config),
            clock,
            gateway: gateway.clone(),
            link: gateway,
            transfer_hashes: Arc::default(),
            receiving: Arc::default(),
            tls,
        }
    }
}
