//! The threats: each a kill chain of steps that take time, succeed with a
//! probability that depends on the target's state, and can be seen by the
//! defences. One module each.

pub mod aitm;
pub mod botnet;
mod contagion;
mod contagion_edges;
pub mod dos;
pub mod exfiltration;
pub mod insider;
pub mod phishing;
pub mod ransomware;
pub mod therapy;
pub mod vendor;
pub mod wireless;
pub mod worm;
