//! The defences: each a mechanism that changes a probability, a time, a
//! reachability, a credential or a count the threats use. One module each.

pub mod incident_response;
pub mod monitoring;
pub mod patching;
