//! The methods of the control channel as types: one type per request (its name, params,
//! result and how long a caller waits for the answer) and per notification (name and
//! params). The server and the agent dispatch by these tables, not by comparing strings in
//! place; the schemas in `docs/protocol/schema.json` are generated from the same types.

use crate::messages::{AccessRevoked, DeviceInfo, HelloResult, PbxAlert, Refused, Sample};
use crate::registrations::Registrations;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A request: sent with `req`, answered with exactly one `res` (`Result`) or `err`.
pub trait Method {
    const NAME: &'static str;
    type Params: Serialize + DeserializeOwned + Send + schemars::JsonSchema;
    type Result: Serialize + DeserializeOwned + Send + schemars::JsonSchema;
    /// Who sends it: `agent → server` or `server → agent`.
    const DIRECTION: &'static str;
    /// How long the sender waits for the answer before it gives up.
    const TIMEOUT: Duration;
}

/// A notification: sent with `note`, never answered.
pub trait Note {
    const NAME: &'static str;
    type Params: Serialize + DeserializeOwned + Send + schemars::JsonSchema;
    /// Who sends it: `agent → server` or `server → agent`.
    const DIRECTION: &'static str;
}

/// Params of a method that takes none (`{}` or absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NoParams {}

const TO_SERVER: &str = "agent → server";
const TO_AGENT: &str = "server → agent";

macro_rules! method {
    ($(#[$doc:meta])* $ty:ident, $name:expr, $dir:expr, $params:ty, $result:ty, $timeout_s:expr) => {
        $(#[$doc])*
        pub struct $ty;
        impl Method for $ty {
            const NAME: &'static str = $name;
            type Params = $params;
            type Result = $result;
            const DIRECTION: &'static str = $dir;
            const TIMEOUT: Duration = Duration::from_secs($timeout_s);
        }
    };
}

macro_rules! note {
    ($(#[$doc:meta])* $ty:ident, $name:expr, $dir:expr, $params:ty) => {
        $(#[$doc])*
        pub struct $ty;
        impl Note for $ty {
            const NAME: &'static str = $name;
            type Params = $params;
            const DIRECTION: &'static str = $dir;
        }
    };
}

method!(
    /// Agent → server, the first message of every connection: who the PBX is now.
    Hello, crate::messages::HELLO, TO_SERVER, DeviceInfo, HelloResult, 15
);
method!(
    /// Server → agent: the device information now (system information page).
    InfoGet, crate::messages::INFO_GET, TO_AGENT, NoParams, DeviceInfo, 15
);
method!(
    /// Server → agent: the registration status now (the Refresh button).
    RegistrationsGet, crate::registrations::REGISTRATIONS_GET, TO_AGENT, NoParams, Registrations, 20
);

note!(
    /// Agent → server: the device information changed.
    Status, crate::messages::STATUS, TO_SERVER, DeviceInfo
);
note!(
    /// Agent → server: a CPU and memory sample.
    MonitoringSample, crate::messages::MONITORING_SAMPLE, TO_SERVER, Sample
);
note!(
    /// Agent → server: an event of the PBX (raised or cleared).
    Alert, crate::messages::ALERT, TO_SERVER, PbxAlert
);
note!(
    /// Agent → server: the registration status changed.
    RegistrationsReport, crate::registrations::REGISTRATIONS, TO_SERVER, Registrations
);
note!(
    /// Agent → server: one part of a registration report too large for one message.
    RegistrationsPartNote, crate::registrations::REGISTRATIONS_PART, TO_SERVER,
    crate::registrations::RegistrationsPart
);
note!(
    /// Server → agent: the access was deleted; the connection closes with 4001 next.
    AccessRevokedNote, crate::messages::ACCESS_REVOKED, TO_AGENT, AccessRevoked
);
note!(
    /// Server → agent: a message of the agent was not taken, and why.
    RefusedNote, crate::messages::REFUSED, TO_AGENT, Refused
);

method!(
    /// Server → agent: run a durable command; the request id is the command's id (§5).
    CommandRunMethod, crate::commands::COMMAND_RUN, TO_AGENT, crate::commands::CommandRun,
    crate::commands::CommandAccepted, 15
);
method!(
    /// Agent → server: how a command ended; repeated after reconnects until answered (§5).
    CommandOutcomeMethod, crate::commands::COMMAND_OUTCOME, TO_SERVER,
    crate::commands::CommandOutcome, crate::commands::OutcomeStored, 15
);
note!(
    /// Agent → server: how far a running command is (§5).
    CommandProgressNote, crate::commands::COMMAND_PROGRESS, TO_SERVER,
    crate::commands::CommandProgress
);
method!(
    /// Server → agent: open the tunnel of a remote-configuration session (§5.7).
    TunnelOpenMethod, crate::tunnel::TUNNEL_OPEN, TO_AGENT, crate::tunnel::TunnelOpen,
    crate::tunnel::TunnelOpening, 15
);
