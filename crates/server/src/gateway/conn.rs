//! What the handlers of one device connection share: the state, who the device is, and the
//! requests this node sent to it that wait for answers.

use crate::state::AppState;
use std::collections::HashMap;

/// Requests this node sent to the device, waiting for their answers.
pub(super) type Pending = HashMap<String, tokio::sync::oneshot::Sender<super::registry::Reply>>;

pub(super) struct Ctx<'a> {
    pub(super) st: &'a AppState,
    pub(super) system_id: &'a str,
    pub(super) serial: &'a str,
    /// A registration report arriving in parts on this connection.
    /// Boxed: only while a report arrives, not in every idle connection's task.
    pub(super) parts: &'a std::sync::Mutex<Option<Box<Assembly>>>,
}

/// The parts of a registration report received so far.
#[derive(Default)]
pub(super) struct Assembly {
    pub(super) report: String,
    pub(super) next_seq: u32,
    pub(super) report_data: zentrale_protocol::registrations::Registrations,
}
