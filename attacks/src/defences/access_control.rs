//! Access control (role-based, least privilege): each staff group's
//! accounts log in only where their work needs them, over only the
//! services it needs. The scenario's `[[staff]]` entries say where accounts
//! log in today; this defence narrows that, so it can be priced and
//! switched: a stolen account opens fewer doors (lateral movement with
//! stolen credentials), and an insider reaches fewer records. It does not
//! stop an exploit that needs no account, nor a click on a phishing
//! e-mail.

use std::collections::BTreeMap;

use iomtsim_sim::prelude::*;
use iomtsim_sim::{ServiceSet, StaffId};
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "access_control"`: least privilege per
/// staff group.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessControlParams {
    /// Per staff group id, what its accounts keep: the zones they log in to
    /// and the services they log in over, each narrowing what the group's
    /// `[[staff]]` entry allows (a zone or service it does not allow stays
    /// closed).
    #[schemars(with = "BTreeMap<String, RawGrant>")]
    pub groups: BTreeMap<Spanned<String>, RawGrant>,
}

/// What one group keeps.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGrant {
    /// Zones its accounts still log in to (absent: as today).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub zones: Option<Vec<Spanned<String>>>,
    /// Services its accounts still log in over (absent: as today).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub services: Option<Vec<Spanned<String>>>,
}

/// Registers the `access_control` mechanism.
pub struct AccessControlFactory;

impl PluginSpec for AccessControlFactory {
    type Params = AccessControlParams;
    const KIND: &'static str = "access_control";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str =
        "least privilege: each staff group's accounts log in only to the zones and over the services it needs";

    fn configure(
        p: AccessControlParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        if p.groups.is_empty() {
            problems.push(
                Diagnostic::at(section.span(), "this access control narrows nobody's access")
                    .with_help("give `groups`, e.g. `groups = { nurses = { zones = [\"ward\"] } }`"),
            );
        }
        let mut grants = Vec::new();
        for (id, grant) in &p.groups {
            let Ok(g) = scenario.staff_ref(id).map_err(|d| problems.push(d)) else { continue };
            let zones = grant.zones.as_ref().map(|zones| {
                let mut keep = vec![false; scenario.zones.len()];
                for z in zones {
                    match scenario.zone_ref(z) {
                        Ok(z) => keep[usize::from(z.0)] = true,
                        Err(d) => problems.push(d),
                    }
                }
                keep
            });
            let services =
                grant.services.as_ref().map(|list| crate::common::service_set(scenario, list, &mut problems));
            grants.push((g, zones, services));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(AccessControl { grants }))
    }
}

struct AccessControl {
    grants: Vec<(StaffId, Option<Vec<bool>>, Option<ServiceSet>)>,
}

impl Plugin for AccessControl {
    fn build(&self, _: &mut SimBuilder) {}

    fn amend(&self, scenario: &mut Scenario) {
        for (g, zones, services) in &self.grants {
            let staff = &mut scenario.staff[usize::from(g.0)];
            if let Some(keep) = zones {
                for (allowed, &k) in staff.logs_in_to.iter_mut().zip(keep) {
                    *allowed &= k;
                }
            }
            if let Some(set) = services {
                staff.services = ServiceSet(staff.services.0 & set.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    const SCENARIO: &str = include_str!("../../../scenarios/defences/access_control.toml");

    #[test]
    fn least_privilege_keeps_the_snooping_nurse_out_of_the_records_server_not_a_worm_off_the_ward() {
        let bare = without(SCENARIO, "defences.access_control");
        let (on, off) = (run(SCENARIO, 40, false), run(&bare, 40, false));
        let browsed = |t: &str, r: &[_]| mean_ci(&metric(t, r, "snooping.records_browsed"));
        assert_clearly_below(browsed(SCENARIO, &on), browsed(&bare, &off), "records browsed under least privilege");
        // The ward's own central stations stay open to the ward's nurses.
        assert!(metric(SCENARIO, &on, "snooping.records_browsed").iter().all(|&n| n > 0.0));
        // An exploit logs in as nobody: the same workstations fall to the
        // worm in every trial, narrowed accounts or not.
        let (wormy, wormy_bare) = (with_rdp_worm(SCENARIO), with_rdp_worm(&bare));
        let (on, off) = (run(&wormy, 40, false), run(&wormy_bare, 40, false));
        let infections = metric(&wormy, &on, "worm.infections");
        assert!(infections.iter().any(|&n| n > 1.0), "the worm spreads beyond its entry");
        assert_eq!(infections, metric(&wormy_bare, &off, "worm.infections"), "devices the worm took");
        assert_clearly_below(
            browsed(&wormy, &on),
            browsed(&wormy_bare, &off),
            "records browsed under least privilege, beside the worm",
        );
    }

    /// The shipped ward, serviced remotely by the central stations' maker,
    /// whose accounts log in everywhere over HTTPS and RDP; an attacker
    /// holding its stolen credentials logs in to as many devices as it can.
    fn with_vendor(text: &str) -> String {
        let zone = insert_before(
            text,
            "[[conduits]]",
            "[[zones]]\nid = \"vendor-net\"\nexternal = true\n\n\
             [[conduits]]\nfrom = \"vendor-net\"\nto = \"ward\"\nservices = [\"https\", \"rdp\"]\n\n\
             [[conduits]]\nfrom = \"vendor-net\"\nto = \"servers\"\nservices = [\"https\", \"rdp\"]\n",
        );
        insert_before(
            &zone,
            "[attacks.snooping]",
            "[[staff]]\nid = \"monitor-maker\"\nrole = \"vendor\"\ncount = 2\n\
             logs_in_to = [\"ward\", \"servers\"]\nservices = [\"https\", \"rdp\"]\n\n\
             [attacks.remote]\nkind = \"vendor\"\nvendor = \"monitor-maker\"\nfrom = \"vendor-net\"\ndevices = 30\n",
        )
    }

    #[test]
    fn least_privilege_confines_a_stolen_vendor_account_and_leaves_other_groups_alone() {
        // The maker's accounts kept to its own central stations, over
        // HTTPS on the ward; the nurses keep their access.
        let vendor = with_vendor(SCENARIO);
        let narrowed = vendor.replace(
            "groups = { nurses = { zones = [\"ward\"] } }",
            "groups = { monitor-maker = { zones = [\"ward\"], services = [\"https\"] } }",
        );
        assert_ne!(narrowed, vendor);
        let bare = without(&vendor, "defences.access_control");
        let (on, off) = (run(&narrowed, 40, false), run(&bare, 40, false));
        let taken = |t: &str, r: &[_]| mean_ci(&metric(t, r, "remote.devices_taken"));
        assert_clearly_below(taken(&narrowed, &on), taken(&bare, &off), "devices taken with the vendor's account");
        // Only the two central stations: never the records server.
        assert!(metric(&narrowed, &on, "remote.devices_taken").iter().all(|&n| n == 2.0));
        assert!(on.iter().all(|r| r.outcome.core().records_on_compromised_devices == 1000));
        assert!(off.iter().all(|r| r.outcome.core().records_on_compromised_devices > 50_000));
        // The nurses' accounts were not narrowed: they browse the same
        // records in every trial.
        assert_eq!(
            metric(&narrowed, &on, "snooping.records_browsed"),
            metric(&bare, &off, "snooping.records_browsed"),
            "records the nurse browsed"
        );
    }

    #[test]
    fn services_narrow_and_never_widen() {
        // The nurses log in over HTTPS only: keeping them to HL7 grants
        // nothing they had, so they reach no records at all.
        let hl7 = SCENARIO.replace("nurses = { zones = [\"ward\"] }", "nurses = { services = [\"hl7\"] }");
        let results = run(&hl7, 20, false);
        assert!(metric(&hl7, &results, "snooping.records_browsed").iter().all(|&n| n == 0.0));
    }

    #[test]
    fn unknown_groups_and_zones_are_reported() {
        let err = load_error(&SCENARIO.replace("nurses = { zones = [\"ward\"] }", "porters = { zones = [\"ward\"] }"));
        assert!(err.contains("unknown staff group `porters`"), "{err}");
        let err = load_error(&SCENARIO.replace("nurses = { zones = [\"ward\"] }", "nurses = { zones = [\"icu\"] }"));
        assert!(err.contains("unknown zone `icu`"), "{err}");
    }
}
