//! Attacks and defences for iomtsim, one module each: the threats in
//! [`threats`], the defences in [`defences`].
//!
//! Each module owns its mechanism: the parameter struct of its scenario
//! table (`[attacks.<id>]` or `[defences.<id>]`, naming it by `kind`), its
//! validation, the metrics and events it declares, its components,
//! resources and handlers, and its tests. Adding one is a new file and one
//! line in [`registry`]; the engine never changes.

mod common;
pub mod defences;
#[cfg(test)]
mod probe;
pub mod threats;

use iomtsim_sim::{PluginFactory, Registry};

/// Every attack and defence this crate offers.
pub fn registry() -> Registry {
    #[allow(unused_mut)]
    let mut mechanisms: Vec<&'static dyn PluginFactory> = vec![
        &threats::worm::WormFactory,
        &threats::ransomware::RansomwareFactory,
        &threats::phishing::PhishingFactory,
        &threats::botnet::BotnetFactory,
        &threats::exfiltration::ExfiltrationFactory,
        &threats::aitm::AitmFactory,
        &threats::therapy::TherapyFactory,
        &threats::dos::DosFactory,
        &threats::wireless::WirelessFactory,
        &threats::vendor::VendorFactory,
        &threats::insider::InsiderFactory,
        &defences::patching::PatchingFactory,
        &defences::monitoring::MonitoringFactory,
        &defences::incident_response::IncidentResponseFactory,
        &defences::encryption::EncryptionFactory,
        &defences::access_control::AccessControlFactory,
        &defences::mfa::MfaFactory,
        &defences::training::TrainingFactory,
        &defences::segmentation::SegmentationFactory,
        &defences::audit::AuditFactory,
        &defences::audit_log::AuditLogFactory,
        &defences::vendor_assessment::VendorAssessmentFactory,
        &defences::threat_intel::ThreatIntelFactory,
        &defences::breach_notification::BreachNotificationFactory,
    ];
    #[cfg(test)]
    mechanisms.push(&probe::ProbeFactory);
    Registry::new(mechanisms)
}

#[cfg(test)]
mod testing;
