//! The serde shape of a scenario file: what a user writes, before
//! cross-references are checked. Field docs here are the format's reference
//! documentation; they flow into `iomtsim schema`.

use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;
use toml::Spanned;

use crate::estate::{Criticality, Probability};
use crate::time::{Offset, SimDuration};

/// A hospital (or ward, or nation) of connected devices, the attacks against
/// it and the defences it runs.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "iomtsim scenario")]
pub struct RawScenario {
    /// Short name, used for the output folder and the `scenario` column.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// What the scenario represents, for reports.
    #[serde(default)]
    pub description: String,
    /// Which design or variant of the scenario this is, for the `variant` column.
    #[serde(default = "default_variant")]
    pub variant: String,
    /// Seed of the run's random streams; trial `i` draws from stream `i`.
    #[serde(default)]
    pub seed: u64,
    /// Monte-Carlo trials to run unless `--trials` says otherwise.
    #[serde(default = "default_trials")]
    #[schemars(with = "u32")]
    pub trials: Spanned<u32>,
    /// How much simulated time one trial covers, e.g. `30d`.
    #[schemars(with = "SimDuration")]
    pub duration: Spanned<SimDuration>,
    /// Interval at which `timeseries.parquet` samples the estate's state
    /// (default: about 200 samples per trial, on a round interval).
    #[serde(default)]
    #[schemars(with = "Option<SimDuration>")]
    pub sample_every: Option<Spanned<SimDuration>>,
    /// Services beyond the built-in ones (smb, https, http, hl7, dicom,
    /// telnet, ssh, rdp, mqtt).
    #[serde(default)]
    pub services: Vec<RawService>,
    /// Network zones: groups of devices that talk freely to each other.
    /// With a `[graph]`, zones the graph's nodes name need not be listed.
    #[serde(default)]
    pub zones: Vec<RawZone>,
    /// Conduits: which services one zone may use to reach another.
    #[serde(default)]
    pub conduits: Vec<RawConduit>,
    /// Networks many zones share, such as a national health network: a
    /// host in a zone attached to one reaches the hosts of every other zone
    /// attached to it, on the services it carries, as if a conduit joined
    /// each pair (without listing the pairs).
    #[serde(default)]
    pub shared_networks: Vec<RawSharedNetwork>,
    /// Known vulnerabilities that device types carry and attacks exploit.
    #[serde(default)]
    pub vulnerabilities: Vec<RawVulnerability>,
    /// Kinds of device and their security profile (MDS2 vocabulary).
    pub device_types: Vec<RawDeviceType>,
    /// How many devices of each type sit in which zone (not with a `[graph]`,
    /// whose nodes are the devices).
    #[serde(default)]
    pub placement: Vec<RawPlacement>,
    /// A network read from files instead of placement and conduits: each
    /// device with its type and zone, and who reaches whom on which
    /// services, as an asset inventory or a network scan records it.
    #[serde(default)]
    pub graph: Option<RawGraph>,
    /// Staff and service accounts, in groups: who they are, where their
    /// accounts log in, and how readily they click a phishing e-mail.
    #[serde(default)]
    pub staff: Vec<RawStaff>,
    /// Data flowing between device types (telemetry, images, orders), each
    /// encrypted in transit or not.
    #[serde(default)]
    pub data_flows: Vec<RawDataFlow>,
    /// Clinical services and the devices they need, so that harm is also
    /// counted as services down.
    #[serde(default)]
    pub clinical_services: Vec<RawClinicalService>,
    /// What harm costs, applied to each trial's outcomes to give losses in
    /// money. Absent: no losses are counted.
    #[serde(default)]
    pub costs: Option<RawCosts>,
    /// Attacks, each a table keyed by its id (`[attacks.wannacry]`) naming
    /// its mechanism in `kind` (which defaults to the id); see each kind's
    /// fields.
    #[serde(default)]
    #[schemars(skip)]
    pub attacks: BTreeMap<Spanned<String>, IgnoredAny>,
    /// Defences, each a table keyed by its id (`[defences.patching]`) naming
    /// its mechanism in `kind` (which defaults to the id); see each kind's
    /// fields.
    #[serde(default)]
    #[schemars(skip)]
    pub defences: BTreeMap<Spanned<String>, IgnoredAny>,
}

fn default_variant() -> String {
    "default".into()
}

fn default_trials() -> Spanned<u32> {
    Spanned::new(0..0, 100)
}

/// `[graph]`: a network given device by device. Paths are relative to
/// the scenario file.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGraph {
    /// Node table: a CSV file whose header names `id`, `device_type` and
    /// `zone` (in any order; other columns are ignored). Each row is a
    /// device; a zone not listed in `zones` is made with its defaults.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub nodes: Option<Spanned<String>>,
    /// Edge list: a CSV file whose header names `source` and `target` (node
    /// ids) and optionally `service` (names separated by spaces or `;`;
    /// empty or `any` for every service). A source reaches its target.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub edges: Option<Spanned<String>>,
    /// Whether each CSV edge reaches only from source to target. Default:
    /// no, each edge reaches both ways (GraphML says this itself).
    #[serde(default)]
    pub directed: bool,
    /// A GraphML file instead of the two CSV files, as networkx's
    /// `write_graphml` writes it: node attributes `device_type` and `zone`,
    /// an optional edge attribute `service`; nodes before the edges.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub graphml: Option<Spanned<String>>,
}

/// A service beyond the built-in ones.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    /// Name used in `services` lists, e.g. `bacnet`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Its usual port, for reports.
    pub port: u16,
}

/// A network zone (IEC 62443).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawZone {
    /// Identifier used by conduits and placement.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Readable name for reports; defaults to the id.
    #[serde(default)]
    pub name: Option<String>,
    /// Outside the estate (internet, vendor network): holds no devices, but
    /// attacks may start there and conduits may lead from it.
    #[serde(default)]
    pub external: bool,
    /// IEC 62443 target security level SL-T (1–4), reported with results.
    #[serde(default)]
    #[schemars(with = "Option<u8>", range(min = 1, max = 4))]
    pub security_level: Option<Spanned<u8>>,
    /// Services the zone's hosts may use with each other. Absent: all of them
    /// (a flat zone). `[]` isolates every host from its neighbours
    /// (micro-segmentation).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub intra_zone: Option<Vec<Spanned<String>>>,
    /// The shared network the zone is attached to, if any (at most one).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub shared_network: Option<Spanned<String>>,
    /// The organisation the zone belongs to (a trust, a practice), so that
    /// outcomes can be told organisation by organisation. Absent: none.
    #[serde(default)]
    pub organisation: Option<String>,
    /// Floor area of the premises the zone's devices are spread over, in
    /// square metres, for how many of them a radio attacker nearby reaches.
    /// Absent: 1,000 (assumed: a ward).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub floor_area_m2: Option<Spanned<f64>>,
}

/// A network many zones share.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSharedNetwork {
    /// Identifier zones name in `shared_network`, e.g. `n3`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Readable name for reports; defaults to the id.
    #[serde(default)]
    pub name: Option<String>,
    /// Services it carries between its zones; `any` carries all.
    #[schemars(with = "Vec<String>")]
    pub services: Vec<Spanned<String>>,
    /// Share of the other zones' hosts on it that one host can reach (its
    /// routing and firewalls let only some pairs through). Default: 1, all.
    #[serde(default = "Probability::one")]
    pub reach: Probability,
}

/// A conduit between two zones.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConduit {
    /// Zone whose hosts open connections.
    #[schemars(with = "String")]
    pub from: Spanned<String>,
    /// Zone whose hosts accept them.
    #[schemars(with = "String")]
    pub to: Spanned<String>,
    /// Services carried; `any` carries all.
    #[schemars(with = "Vec<String>")]
    pub services: Vec<Spanned<String>>,
    /// Also carry the same services from `to` back to `from`.
    #[serde(default)]
    pub bidirectional: bool,
}

/// A known vulnerability.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVulnerability {
    /// Identifier used by device types and attacks, e.g. `ms17-010`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// CVE identifier, for reports.
    #[serde(default)]
    pub cve: Option<String>,
    /// CVSS v3.1 base score (0–10), for reports.
    #[serde(default)]
    #[schemars(with = "Option<f64>", range(min = 0.0, max = 10.0))]
    pub cvss: Option<Spanned<f64>>,
    /// The service an exploit reaches it through.
    #[schemars(with = "String")]
    pub service: Spanned<String>,
    /// When it was disclosed, relative to the trial start (`-59d` is 59 days before).
    #[serde(default)]
    pub disclosed: Offset,
    /// How long after disclosure the vendor ships a patch.
    #[serde(default)]
    pub vendor_patch_after: SimDuration,
}

/// A kind of device and its security profile.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDeviceType {
    /// Identifier used by placement, e.g. `infusion-pump`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Readable name for reports; defaults to the id.
    #[serde(default)]
    pub name: Option<String>,
    /// Services it listens on (MDS2 SAHD: what is left open).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub services: Vec<Spanned<String>>,
    /// Vulnerabilities it carries, each on a share of the devices.
    #[serde(default)]
    pub vulnerabilities: Vec<RawDeviceVulnerability>,
    /// Share of these devices on an operating system its maker no longer
    /// patches (MDS2 CSUP); they never receive a patch.
    #[serde(default)]
    pub unsupported_os: Probability,
    /// Patient records each device holds; counted as on a compromised
    /// device when an attacker controls it.
    #[serde(default)]
    pub patient_records: u64,
    /// Clinical criticality; downtime of `life-critical` and `high` devices
    /// is also reported on its own.
    #[serde(default)]
    pub criticality: Criticality,
    /// Share of these devices still using their maker's default credentials
    /// (MDS2 PAUT: default accounts that were never changed); an attacker who
    /// knows them logs in over the device's services.
    #[serde(default)]
    pub default_credentials: Probability,
    /// Patient records on these devices are encrypted at rest (MDS2 STCF):
    /// taken without the keys, they cannot be read.
    #[serde(default)]
    pub encrypted_at_rest: bool,
    /// Share of these devices that authenticate whoever sends them commands
    /// (a pump's programmer, a monitor's configuration): the rest obey
    /// anyone who reaches them. Default 1 (every device authenticates).
    #[serde(default = "Probability::one")]
    pub authenticates_commands: Probability,
    /// Radio interfaces (MDS2 CONN), each with its range: an attacker
    /// within range reaches the device without crossing the wired zones.
    #[serde(default)]
    pub radio: Vec<RawRadio>,
}

/// A radio interface of a device type.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRadio {
    /// `ble` (Bluetooth Low Energy) or `wifi`.
    pub kind: RadioKind,
    /// Range in metres within which an attacker's radio reaches it.
    #[schemars(with = "f64")]
    pub range_m: Spanned<f64>,
}

/// The kinds of radio interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RadioKind {
    /// Bluetooth Low Energy.
    Ble,
    /// Wi-Fi.
    Wifi,
}

/// What staff do, which sets what their accounts may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StaffRole {
    /// Clinicians and clerks using clinical applications.
    Clinical,
    /// IT staff administering hosts.
    Administrator,
    /// Administrators of the whole domain: their accounts log in everywhere.
    DomainAdministrator,
    /// A device maker's service engineers, logging in remotely.
    Vendor,
    /// Accounts that programs use, not people.
    Service,
}

/// A group of staff (or service) accounts.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStaff {
    /// Identifier used by attacks and defences, e.g. `nurses`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Readable name for reports; defaults to the id.
    #[serde(default)]
    pub name: Option<String>,
    /// What they do.
    pub role: StaffRole,
    /// How many accounts.
    #[schemars(with = "u32")]
    pub count: Spanned<u32>,
    /// Whether they read e-mail (and so can be phished).
    #[serde(default = "yes")]
    pub email: bool,
    /// Share of them who click a phishing e-mail and give away their
    /// credentials. Default 0.331: staff before any training, all
    /// industries [S13] (healthcare: 32.3% under 250 staff to 46.7% at
    /// 1,000 or more).
    #[serde(default = "untrained_click_rate")]
    pub click_rate: Probability,
    /// Share of those who receive a phishing e-mail and do not click who
    /// report it, which alerts the security team. Default 0 (assumed:
    /// untrained staff seldom report).
    #[serde(default)]
    pub report_rate: Probability,
    /// Zones whose hosts their accounts log in to (`any` for every zone).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub logs_in_to: Vec<Spanned<String>>,
    /// Services their accounts log in over, e.g. `rdp`, `ssh`, `https`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub services: Vec<Spanned<String>>,
    /// The zone their own workstations sit in, where a phished account's
    /// attacker gets a foothold. Absent: the first zone they log in to.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub works_in: Option<Spanned<String>>,
}

fn yes() -> bool {
    true
}

/// Data flowing from devices of one type to devices of another.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDataFlow {
    /// Identifier used by attacks and defences, e.g. `vitals`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// The device type that sends.
    #[schemars(with = "String")]
    pub from: Spanned<String>,
    /// The device type that receives.
    #[schemars(with = "String")]
    pub to: Spanned<String>,
    /// The service it travels over, e.g. `hl7`, `mqtt`, `dicom`.
    #[schemars(with = "String")]
    pub service: Spanned<String>,
    /// Encrypted in transit (MDS2 TXCF): a listener on the path reads nothing.
    #[serde(default)]
    pub encrypted: bool,
    /// Messages each sending device sends per hour (readings, images).
    #[serde(default = "sixty")]
    #[schemars(with = "f64")]
    pub messages_per_hour: Spanned<f64>,
}

fn sixty() -> Spanned<f64> {
    Spanned::new(0..0, 60.0)
}

/// A clinical service and the devices it needs.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawClinicalService {
    /// Identifier, e.g. `infusion-therapy`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Readable name for reports; defaults to the id.
    #[serde(default)]
    pub name: Option<String>,
    /// What it needs: for each device type, the share of its devices that
    /// must work for the service to run.
    pub needs: Vec<RawNeed>,
}

/// A device type a clinical service needs, and how much of it.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNeed {
    /// The device type.
    #[schemars(with = "String")]
    pub device_type: Spanned<String>,
    /// Share of its devices that must work (out of service: disrupted or
    /// isolated) for the service to run; 1 means every one.
    #[serde(default = "Probability::one")]
    pub share: Probability,
}

/// A vulnerability carried by a share of a device type.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDeviceVulnerability {
    /// The vulnerability's id.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Share of the devices that carry it (0–1).
    #[serde(default = "Probability::one")]
    pub share: Probability,
}

/// Devices of one type in one zone.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPlacement {
    /// The zone.
    #[schemars(with = "String")]
    pub zone: Spanned<String>,
    /// The device type.
    #[schemars(with = "String")]
    pub device_type: Spanned<String>,
    /// How many.
    #[schemars(with = "u32")]
    pub count: Spanned<u32>,
}

/// What harm costs, in the scenario's currency. Every figure applies to an
/// outcome the trials count; defaults are zero (a harm left out costs
/// nothing).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCosts {
    /// The currency the figures are in, for reports: an ISO code such as
    /// `GBP`, `EUR` or `USD`.
    #[schemars(with = "String")]
    pub currency: Spanned<String>,
    /// Per hour a clinical service is down, for services without their own
    /// figure in `service_hour_by_service`.
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub service_hour: Spanned<f64>,
    /// Per hour each named clinical service is down.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, f64>")]
    pub service_hour_by_service: BTreeMap<Spanned<String>, Spanned<f64>>,
    /// Per device-hour out of service, by the device's criticality.
    #[serde(default)]
    pub device_hour: RawByCriticality,
    /// Per patient record breached, exfiltrated or disclosed inside
    /// (notifying the patient, credit monitoring, legal work).
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub record: Spanned<f64>,
    /// A breach that must be reported under HIPAA (500 records or more).
    #[serde(default)]
    pub hipaa_breach: RawBreachCost,
    /// A breach that must be notified under GDPR Art. 33.
    #[serde(default)]
    pub gdpr_breach: RawBreachCost,
    /// Per patient-safety event.
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub safety_event: Spanned<f64>,
    /// Restoration labour per device rebuilt.
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub rebuild: Spanned<f64>,
    /// Per hour of the security team's time: triaging alerts (false alarms
    /// too) and answering incidents.
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub analyst_hour: Spanned<f64>,
    /// A ransom demanded when any of the named attacks reaches its
    /// objective, paid or not as the hospital's policy says.
    #[serde(default)]
    pub ransom: Option<RawRansom>,
    /// What the design's own measures cost a year that no defence table
    /// carries: the segmentation's firewalls and their upkeep, say.
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub design_cost_per_year: Spanned<f64>,
    /// What those measures cost once, to buy and install.
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub design_one_off_cost: Spanned<f64>,
    /// Years over which a defence's one-off cost is spread when yearly
    /// costs are compared (default 5).
    #[serde(default = "five_years")]
    #[schemars(with = "f64")]
    pub amortise_years: Spanned<f64>,
}

fn five_years() -> Spanned<f64> {
    Spanned::new(0..0, 5.0)
}

fn no_money() -> Spanned<f64> {
    Spanned::new(0..0, 0.0)
}

impl Default for RawByCriticality {
    fn default() -> Self {
        RawByCriticality { life_critical: no_money(), high: no_money(), medium: no_money(), low: no_money() }
    }
}

impl Default for RawBreachCost {
    fn default() -> Self {
        RawBreachCost { fixed: no_money(), fine_per_record: no_money(), fine_cap: None }
    }
}

/// A figure for each criticality.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawByCriticality {
    /// Life-critical devices.
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub life_critical: Spanned<f64>,
    /// High-criticality devices.
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub high: Spanned<f64>,
    /// Medium-criticality devices.
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub medium: Spanned<f64>,
    /// Low-criticality devices.
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub low: Spanned<f64>,
}

/// What one notifiable breach costs: fixed costs plus a fine that grows
/// with the records and stops at its cap.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBreachCost {
    /// Fixed costs of a breach (investigation, notification, legal).
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub fixed: Spanned<f64>,
    /// Fine per record breached.
    #[serde(default = "no_money")]
    #[schemars(with = "f64")]
    pub fine_per_record: Spanned<f64>,
    /// The most the fine can be. Absent: no cap.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub fine_cap: Option<Spanned<f64>>,
}

/// A ransom demand.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRansom {
    /// Ids of the attacks whose objective brings the demand.
    #[schemars(with = "Vec<String>")]
    pub attacks: Vec<Spanned<String>>,
    /// The sum demanded.
    #[schemars(with = "f64")]
    pub amount: Spanned<f64>,
    /// Whether the hospital's policy is to pay it.
    pub paid: bool,
}

/// The share of untrained staff who click a phishing e-mail, all
/// industries [S13].
fn untrained_click_rate() -> Probability {
    Probability::new(0.331).expect("a probability")
}
