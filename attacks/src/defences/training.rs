//! Staff training (security awareness with simulated phishing): the staff
//! it reaches click phishing e-mails less often, and more of those who do
//! not click report them. A reported e-mail is pulled from every inbox and
//! the devices of those who clicked it are found (a detection, which
//! incident response answers). It changes people, not machines: a worm
//! that needs nobody to click spreads as before.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

use crate::common::select;

/// `[defences.<id>]` with `kind = "training"`: security-awareness training.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingParams {
    /// Staff groups trained, by id (`["all"]` for every group). Absent:
    /// every group that reads e-mail.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub groups: Option<Vec<Spanned<String>>>,
    /// What a trained group's click rate is multiplied by. Default 0.163:
    /// twelve months of monthly training and simulated phishing took the
    /// phish-prone share from 33.1% to 5.4% [S13].
    #[serde(default = "default_click_factor")]
    pub click_rate_factor: Probability,
    /// Share of trained recipients who do not click who report the e-mail
    /// (a group already reporting more keeps its rate). Default 0.2
    /// (assumed).
    #[serde(default = "default_report_rate")]
    pub report_rate: Probability,
}

fn default_click_factor() -> Probability {
    Probability::new(5.4 / 33.1).unwrap_or_default()
}

fn default_report_rate() -> Probability {
    Probability::new(0.2).unwrap_or_default()
}

/// Registers the `training` mechanism.
pub struct TrainingFactory;

impl PluginSpec for TrainingFactory {
    type Params = TrainingParams;
    const KIND: &'static str = "training";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str =
        "security-awareness training: lower phishing click rates, more phishing e-mails reported";

    fn configure(
        params: TrainingParams,
        _: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut groups = select(params.groups.as_deref(), scenario.staff.len(), |id| {
            scenario.staff_ref(id).map(|g| usize::from(g.0))
        })?;
        if params.groups.is_none() {
            for (on, g) in groups.iter_mut().zip(&scenario.staff) {
                *on &= g.email;
            }
        }
        Ok(Box::new(Training {
            groups,
            click_rate_factor: params.click_rate_factor.get(),
            report_rate: params.report_rate.get(),
        }))
    }
}

struct Training {
    /// Per staff group, whether it is trained.
    groups: Vec<bool>,
    click_rate_factor: f64,
    report_rate: f64,
}

impl Plugin for Training {
    fn build(&self, _: &mut SimBuilder) {}

    fn amend(&self, scenario: &mut Scenario) {
        for (g, _) in scenario.staff.iter_mut().zip(&self.groups).filter(|(_, on)| **on) {
            g.click_rate *= self.click_rate_factor;
            g.report_rate = g.report_rate.max(self.report_rate);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    const SCENARIO: &str = include_str!("../../../scenarios/defences/training.toml");

    #[test]
    fn trained_staff_click_less_and_the_operator_gets_less_far() {
        let bare = without(SCENARIO, "defences.training");
        let (on, off) = (run(SCENARIO, 100, false), run(&bare, 100, false));
        let clicks = |text: &str, r: &[_]| mean_ci(&metric(text, r, "phishing.clicks"));
        assert_clearly_below(clicks(SCENARIO, &on), clicks(&bare, &off), "clicks with training");
        let reached = |text: &str, r: &[_]| mean_ci(&metric(text, r, "phishing.objective_reached"));
        assert_clearly_below(reached(SCENARIO, &on), reached(&bare, &off), "objective reached with training");
    }

    #[test]
    fn a_reported_phish_is_pulled_before_more_people_click() {
        // Reporting alone, with click rates left as they were: the first
        // report pulls the e-mail, so fewer of the same would-be clickers
        // get to click, and the ones who did are found.
        let reporting = SCENARIO.replace("click_rate_factor = 0.163", "click_rate_factor = 1.0");
        let silent = reporting.replace("report_rate = 0.2", "report_rate = 0.0");
        let (a, b) = (run(&reporting, 100, false), run(&silent, 100, false));
        let clicks = |text: &str, r: &[_]| mean_ci(&metric(text, r, "phishing.clicks"));
        assert_clearly_below(clicks(&reporting, &a), clicks(&silent, &b), "clicks when staff report");
        assert!(metric(&reporting, &a, "phishing.campaigns_reported").iter().all(|&x| x == 1.0));
        assert!(metric(&silent, &b, "phishing.campaigns_reported").iter().all(|&x| x == 0.0));
        assert!(a.iter().any(|r| r.outcome.core().detected), "clicked devices are found");
    }

    #[test]
    fn only_the_groups_named_are_trained() {
        // Training the domain administrators, who read no mail, leaves the
        // clerks clicking as before.
        let admins = SCENARIO.replace("groups = [\"clerks\"]", "groups = [\"domain-admins\"]");
        let bare = without(SCENARIO, "defences.training");
        let (a, b) = (run(&admins, 30, false), run(&bare, 30, false));
        assert_eq!(metric(&admins, &a, "phishing.clicks"), metric(&bare, &b, "phishing.clicks"));
    }

    #[test]
    fn training_leaves_a_worm_that_needs_no_click_alone() {
        let text = |training: bool| {
            let base = lan(200, "-60d", "", "", "");
            let staff = "[[staff]]\nid = \"nurses\"\nrole = \"clinical\"\ncount = 100\nclick_rate = 0.3\nlogs_in_to = [\"lan\"]\nservices = [\"smb\"]\n";
            let t = if training { "[defences.training]\n" } else { "" };
            base.replace("[attacks.worm]", &format!("{staff}\n{t}\n[attacks.worm]"))
        };
        let (on, off) = (run(&text(true), 30, false), run(&text(false), 30, false));
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(a.outcome.core().compromised, b.outcome.core().compromised);
        }
    }
}
