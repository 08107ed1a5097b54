//! What harm costs: the scenario's cost model, validated. The trials count
//! outcomes; the analysis turns them into money with these figures, so a
//! cost can change without running the trials again.

use serde::Serialize;

use crate::estate::Criticality;

/// A validated cost model, in one currency.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Costs {
    /// The currency, e.g. `GBP`.
    pub currency: String,
    /// Per hour each clinical service is down, indexed like
    /// [`crate::Scenario::clinical_services`].
    pub service_hour: Vec<f64>,
    /// Per device-hour out of service, by criticality.
    pub device_hour: ByCriticality,
    /// Per patient record breached (exfiltrated or disclosed inside).
    pub record: f64,
    /// Per HIPAA-notifiable breach.
    pub hipaa_breach: BreachCost,
    /// Per GDPR-notifiable breach.
    pub gdpr_breach: BreachCost,
    /// Per patient-safety event.
    pub safety_event: f64,
    /// Per device rebuilt.
    pub rebuild: f64,
    /// Per hour of the security team's time.
    pub analyst_hour: f64,
    /// The ransom demand, if one is modelled.
    pub ransom: Option<Ransom>,
    /// What the design's own measures cost a year, beyond its defences.
    pub design_cost_per_year: f64,
    /// What they cost once.
    pub design_one_off_cost: f64,
    /// Years over which one-off defence costs are spread.
    pub amortise_years: f64,
}

/// A figure for each criticality.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct ByCriticality {
    /// Life-critical devices.
    pub life_critical: f64,
    /// High-criticality devices.
    pub high: f64,
    /// Medium-criticality devices.
    pub medium: f64,
    /// Low-criticality devices.
    pub low: f64,
}

impl ByCriticality {
    /// The figure for `c`.
    pub fn get(&self, c: Criticality) -> f64 {
        match c {
            Criticality::LifeCritical => self.life_critical,
            Criticality::High => self.high,
            Criticality::Medium => self.medium,
            Criticality::Low => self.low,
        }
    }
}

/// What one notifiable breach costs.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct BreachCost {
    /// Fixed costs.
    pub fixed: f64,
    /// Fine per record breached.
    pub fine_per_record: f64,
    /// The most the fine can be.
    pub fine_cap: Option<f64>,
}

impl BreachCost {
    /// The cost of one breach of `records` records.
    pub fn of(&self, records: u64) -> f64 {
        let fine = self.fine_per_record * records as f64;
        self.fixed + self.fine_cap.map_or(fine, |cap| fine.min(cap))
    }
}

/// A ransom demand.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Ransom {
    /// Ids of the attacks whose objective brings the demand.
    pub attacks: Vec<String>,
    /// The sum demanded.
    pub amount: f64,
    /// Whether the policy pays it.
    pub paid: bool,
}
