//! The PBX behind the agent. The agent talks to it only through [`Pbx`]; the simulated
//! COMtrexx is one implementation, an adapter for a real PBX's local API would be another.

pub mod simulated;

use zentrale_protocol::messages::DeviceInfo;

pub trait Pbx: Send + Sync + 'static {
    /// What the PBX reports about itself now.
    fn info(&self) -> DeviceInfo;
}

pub use simulated::SimulatedPbx;
