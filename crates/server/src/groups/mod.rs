//! User groups: a group gives its members a role on each of its systems. Public groups
//! anyone in the company may join (with the default role); private ones only the owner fills.
//! Pages: User Groups › Groups, › Own groups, › Configure.

pub mod configure;
pub mod routes;
pub mod service;
pub mod store;
