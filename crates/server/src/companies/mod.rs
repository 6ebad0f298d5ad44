//! Companies (tenants): each user and each system belongs to one. The platform operator
//! creates them (Operator › Companies); the CLI and the demo too.

pub mod service;
pub mod store;
