//! The defences: each a mechanism that changes a probability, a time, a
//! reachability, a credential or a count the threats use. One module each.

pub mod access_control;
pub mod audit;
pub mod audit_log;
pub mod breach_notification;
pub mod encryption;
pub mod incident_response;
pub mod mfa;
pub mod monitoring;
pub mod patching;
pub mod segmentation;
pub mod threat_intel;
pub mod training;
pub mod vendor_assessment;
