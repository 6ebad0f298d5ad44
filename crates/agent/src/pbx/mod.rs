//! The PBX behind the agent. The agent talks to it only through [`Pbx`]; the simulated
//! COMtrexx is one implementation, an adapter for a real PBX's local API would be another.

pub mod simulated;

use zentrale_protocol::messages::DeviceInfo;
use zentrale_protocol::registrations::Registrations;

pub trait Pbx: Send + Sync + 'static {
    /// What the PBX reports about itself now.
    fn info(&self) -> DeviceInfo;

    /// Its telephones and providers/accounts with their status now.
    fn registrations(&self) -> Registrations {
        Registrations::default()
    }

    /// Events the PBX raised since the last call (firmware update, limit exceeded, …).
    fn take_alerts(&self) -> Vec<zentrale_protocol::messages::PbxAlert> {
        Vec::new()
    }

    /// CPU load and memory use in percent at `t_ms`, if the PBX can measure them.
    fn sample(&self, _t_ms: i64) -> Option<(f32, f32)> {
        None
    }
}

pub use simulated::SimulatedPbx;
