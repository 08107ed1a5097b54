//! Multi-factor authentication: the staff groups it covers must give a
//! second factor (a push, a code, a token) as well as their password, so a
//! password stolen by phishing, dumped from memory or taken from a vendor
//! logs in only when the attacker also gets past the second factor (push
//! fatigue, a relayed code), with the bypass rate as probability. It does
//! not stop the malware a click runs on the clicker's own device, nor the
//! insider who uses their own account, nor a device's default credentials.

use iomtsim_sim::StaffRole;
use iomtsim_sim::prelude::*;
use serde::Deserialize;

use crate::common::select;

/// `[defences.<id>]` with `kind = "mfa"`: a second factor on logins.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaParams {
    /// Staff groups that must give a second factor, by id (`["all"]` for
    /// every group).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub groups: Option<Vec<Spanned<String>>>,
    /// Roles whose groups must give a second factor, e.g. `["administrator",
    /// "domain-administrator", "vendor"]` for privileged and remote access.
    /// With neither `groups` nor `roles`, every group.
    #[serde(default)]
    pub roles: Option<Vec<StaffRole>>,
    /// Probability that an attacker holding a stolen password also gets
    /// past the second factor. Default 0.1 (assumed).
    #[serde(default = "default_bypass")]
    pub bypass_rate: Probability,
}

fn default_bypass() -> Probability {
    Probability::new(0.1).unwrap_or_default()
}

/// Registers the `mfa` mechanism.
pub struct MfaFactory;

impl PluginSpec for MfaFactory {
    type Params = MfaParams;
    const KIND: &'static str = "mfa";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str =
        "multi-factor authentication: a stolen password logs in only past the second factor (bypass rate)";

    fn configure(params: MfaParams, _: &Section<'_>, scenario: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let n = scenario.staff.len();
        let groups = match (&params.groups, &params.roles) {
            (None, None) => vec![true; n],
            (ids, roles) => {
                let by_id = match ids {
                    Some(ids) => select(Some(ids), n, |id| scenario.staff_ref(id).map(|g| usize::from(g.0)))?,
                    None => vec![false; n],
                };
                let roles = roles.as_deref().unwrap_or_default();
                by_id.iter().zip(&scenario.staff).map(|(&on, g)| on || roles.contains(&g.role)).collect()
            }
        };
        Ok(Box::new(Mfa { groups, bypass: params.bypass_rate.get() }))
    }
}

struct Mfa {
    /// Per staff group, whether it must give a second factor.
    groups: Vec<bool>,
    bypass: f64,
}

impl Plugin for Mfa {
    fn build(&self, _: &mut SimBuilder) {}

    fn amend(&self, scenario: &mut Scenario) {
        for (g, _) in scenario.staff.iter_mut().zip(&self.groups).filter(|(_, on)| **on) {
            g.second_factor_bypass = g.second_factor_bypass.min(self.bypass);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    const SCENARIO: &str = include_str!("../../../scenarios/defences/mfa.toml");

    #[test]
    fn a_second_factor_keeps_stolen_passwords_from_reaching_the_domain() {
        let bare = without(SCENARIO, "defences.mfa");
        let (on, off) = (run(SCENARIO, 100, false), run(&bare, 100, false));
        let reached = |text: &str, r: &[_]| mean_ci(&metric(text, r, "phishing.objective_reached"));
        assert_clearly_below(reached(SCENARIO, &on), reached(&bare, &off), "domain reached with MFA");
        // The clicks and the footholds they give are the same people's.
        for (a, b) in on.iter().zip(&off) {
            let clicks = |text: &str, r| metric(text, std::slice::from_ref(r), "phishing.clicks")[0];
            assert_eq!(clicks(SCENARIO, a), clicks(&bare, b));
        }
    }

    #[test]
    fn a_bypass_rate_of_one_is_no_second_factor() {
        let open = SCENARIO.replace("bypass_rate = 0.1", "bypass_rate = 1.0");
        let bare = without(SCENARIO, "defences.mfa");
        let (a, b) = (run(&open, 40, false), run(&bare, 40, false));
        assert_eq!(
            metric(&open, &a, "phishing.lateral_moves"),
            metric(&bare, &b, "phishing.lateral_moves"),
            "a factor always bypassed changes nothing"
        );
    }

    #[test]
    fn groups_by_id_cover_as_their_roles_do() {
        let by_id = SCENARIO
            .replace("roles = [\"administrator\", \"domain-administrator\"]", "groups = [\"it\", \"domain-admins\"]");
        assert_ne!(by_id, SCENARIO);
        let (a, b) = (run(&by_id, 40, false), run(SCENARIO, 40, false));
        assert_eq!(
            metric(&by_id, &a, "phishing.objective_reached"),
            metric(SCENARIO, &b, "phishing.objective_reached")
        );
    }

    #[test]
    fn roles_select_the_groups_covered() {
        // Only the vendor role: the phished clerks and the dumped domain
        // administrators log in as before.
        let vendors_only =
            SCENARIO.replace("roles = [\"administrator\", \"domain-administrator\"]", "roles = [\"vendor\"]");
        let bare = without(SCENARIO, "defences.mfa");
        let (a, b) = (run(&vendors_only, 40, false), run(&bare, 40, false));
        assert_eq!(metric(&vendors_only, &a, "phishing.lateral_moves"), metric(&bare, &b, "phishing.lateral_moves"));
    }
}
