//! Second stage of loading: cross-references and limits, every problem
//! gathered rather than stopping at the first.

use std::collections::{BTreeMap, HashMap};

use toml::Spanned;

use super::raw::RawScenario;
use std::sync::Arc;

use super::{DeviceSlot, Diagnostic, Document, InstanceSection, Scenario, ScenarioSource, limits, lookup};
use crate::costs::{BreachCost, ByCriticality, Costs};
use crate::domain::{ClinicalService, DataFlow, Radio, Staff, StaffRole};
use crate::estate::{DeviceType, DeviceTypeId, MAX_VULNERABILITIES, Placement, VulnId, Vulnerability};
use crate::network::{
    BUILTIN_SERVICES, Conduit, MAX_SERVICES, Network, Service, ServiceId, ServiceSet, SharedNetwork, Zone, ZoneId,
};
use crate::time::SimDuration;
use crate::vocabulary::Role;

/// Checks every cross-reference and limit of `raw`.
pub(super) fn validate(
    raw: RawScenario,
    source: ScenarioSource,
    instances: Vec<InstanceSection>,
    document: Arc<Document>,
) -> Result<Scenario, Vec<Diagnostic>> {
    let mut v = Validator::default();

    let name = raw.name.get_ref().clone();
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || "._-".contains(c)) || name.starts_with('.') {
        v.push(
            Diagnostic::at(raw.name.span(), format!("scenario name `{name}` cannot name an output folder"))
                .with_help("use letters, digits, `-`, `_` and `.`, e.g. `regional-flat`"),
        );
    }
    let trials = *raw.trials.get_ref();
    if trials == 0 || trials > limits::MAX_TRIALS {
        v.push(Diagnostic::at(
            raw.trials.span(),
            format!("trials must be between 1 and {}, found {trials}", limits::MAX_TRIALS),
        ));
    }
    let duration = *raw.duration.get_ref();
    if duration == SimDuration::ZERO || duration > SimDuration::from_days(limits::MAX_DURATION_DAYS) {
        v.push(Diagnostic::at(
            raw.duration.span(),
            format!("duration must be above zero and at most {}d, found {duration}", limits::MAX_DURATION_DAYS),
        ));
    }

    let sample_every = match &raw.sample_every {
        Some(s) => {
            let every = *s.get_ref();
            if every == SimDuration::ZERO || (duration > SimDuration::ZERO && duration.0 / every.0.max(1) > 100_000) {
                v.push(
                    Diagnostic::at(
                        s.span(),
                        format!(
                            "sample_every must be above zero and give at most 100,000 samples per trial, found {every}"
                        ),
                    )
                    .with_help("sample less often, e.g. `1h`"),
                );
            }
            every
        }
        None => default_sample_interval(duration),
    };

    // Services: built-ins, then the scenario's own.
    let mut services: Vec<Service> =
        BUILTIN_SERVICES.iter().map(|&(id, port)| Service { id: id.into(), port }).collect();
    for s in &raw.services {
        if services.iter().any(|known| &known.id == s.id.get_ref()) || s.id.get_ref() == "any" {
            v.push(Diagnostic::at(s.id.span(), format!("service `{}` is defined twice", s.id.get_ref())));
        } else {
            services.push(Service { id: s.id.get_ref().clone(), port: s.port });
        }
    }
    if services.len() > MAX_SERVICES {
        v.push(Diagnostic::whole_file(format!(
            "at most {MAX_SERVICES} services are supported, found {}",
            services.len()
        )));
        services.truncate(MAX_SERVICES);
    }
    let service_names = || services.iter().map(|s| s.id.as_str());
    let service_set = |v: &mut Validator, refs: &[Spanned<String>]| -> ServiceSet {
        let mut set = ServiceSet::NONE;
        for r in refs {
            if r.get_ref() == "any" {
                set = ServiceSet::ALL;
            } else if let Some(i) = v.ok(lookup(r, "service", service_names())) {
                set.insert(ServiceId(i as u8));
            }
        }
        set
    };

    // Shared networks.
    v.unique(raw.shared_networks.iter().map(|n| &n.id), "shared network");
    let mut shared_networks = Vec::new();
    let mut shared_services = Vec::new();
    let mut shared_reach = Vec::new();
    for n in &raw.shared_networks {
        if n.services.is_empty() {
            v.push(
                Diagnostic::at(n.id.span(), "a shared network must carry at least one service")
                    .with_help("list services, e.g. services = [\"smb\"], or remove it"),
            );
        }
        shared_services.push(service_set(&mut v, &n.services));
        shared_reach.push(n.reach.get());
        shared_networks.push(SharedNetwork {
            id: n.id.get_ref().clone(),
            name: n.name.clone().unwrap_or_else(|| n.id.get_ref().clone()),
        });
    }

    // Zones.
    let mut zones = Vec::with_capacity(raw.zones.len());
    if raw.zones.is_empty() && raw.graph.is_none() {
        v.push(Diagnostic::whole_file("a scenario needs at least one zone").with_help("add a [[zones]] table"));
    }
    if raw.zones.len() > limits::MAX_ZONES {
        v.push(Diagnostic::whole_file(format!("at most {} zones are supported", limits::MAX_ZONES)));
        return Err(v.diagnostics);
    }
    v.unique(raw.zones.iter().map(|z| &z.id), "zone");
    for z in &raw.zones {
        if let Some(sl) = &z.security_level
            && !(1..=4).contains(sl.get_ref())
        {
            v.push(Diagnostic::at(
                sl.span(),
                format!("security_level must be 1, 2, 3 or 4 (IEC 62443 SL-T), found {}", sl.get_ref()),
            ));
        }
        let intra = match &z.intra_zone {
            None => ServiceSet::ALL,
            Some(list) => service_set(&mut v, list),
        };
        let floor_area_m2 = match &z.floor_area_m2 {
            Some(a) if !(a.get_ref().is_finite() && *a.get_ref() > 0.0) => {
                v.push(Diagnostic::at(a.span(), format!("floor_area_m2 must be above 0, found {}", a.get_ref())));
                1000.0
            }
            Some(a) => *a.get_ref(),
            None => 1000.0,
        };
        let shared = z.shared_network.as_ref().and_then(|n| {
            v.ok(lookup(n, "shared network", shared_networks.iter().map(|x| x.id.as_str())))
                .map(|i| (i as u16, shared_services[i], shared_reach[i]))
        });
        zones.push(Zone {
            id: z.id.get_ref().clone(),
            name: z.name.clone().unwrap_or_else(|| z.id.get_ref().clone()),
            external: z.external,
            security_level: z.security_level.as_ref().map(|s| *s.get_ref()),
            intra,
            floor_area_m2,
            shared,
            organisation: z.organisation.clone(),
        });
    }
    let ids = zone_index(&zones);
    let zone_ref = |v: &mut Validator, r: &Spanned<String>| resolve_zone(v, &ids, &zones, r);

    // Conduits.
    let mut conduits = Vec::new();
    for c in &raw.conduits {
        let from = zone_ref(&mut v, &c.from);
        let to = zone_ref(&mut v, &c.to);
        if c.services.is_empty() {
            v.push(
                Diagnostic::at(c.from.span(), "a conduit must carry at least one service")
                    .with_help("list services, e.g. services = [\"hl7\"], or remove the conduit"),
            );
        }
        let set = service_set(&mut v, &c.services);
        if let (Some(from), Some(to)) = (from, to) {
            if from == to {
                v.push(
                    Diagnostic::at(c.to.span(), format!("a conduit cannot join zone `{}` to itself", c.to.get_ref()))
                        .with_help("traffic inside a zone is set by the zone's `intra_zone`"),
                );
                continue;
            }
            conduits.push(Conduit { from, to, services: set });
            if c.bidirectional {
                conduits.push(Conduit { from: to, to: from, services: set });
            }
        }
    }

    // Vulnerabilities.
    if raw.vulnerabilities.len() > MAX_VULNERABILITIES {
        v.push(Diagnostic::whole_file(format!("at most {MAX_VULNERABILITIES} vulnerabilities are supported")));
        return Err(v.diagnostics);
    }
    v.unique(raw.vulnerabilities.iter().map(|x| &x.id), "vulnerability");
    let mut vulnerabilities = Vec::new();
    for x in &raw.vulnerabilities {
        if let Some(cvss) = &x.cvss
            && !(0.0..=10.0).contains(cvss.get_ref())
        {
            v.push(Diagnostic::at(cvss.span(), format!("cvss must be between 0 and 10, found {}", cvss.get_ref())));
        }
        let service = v.ok(lookup(&x.service, "service", service_names())).map(|i| ServiceId(i as u8));
        vulnerabilities.push(Vulnerability {
            id: x.id.get_ref().clone(),
            cve: x.cve.clone(),
            cvss: x.cvss.as_ref().map(|c| *c.get_ref()),
            service: service.unwrap_or(ServiceId(0)),
            disclosed: x.disclosed,
            vendor_patch_after: x.vendor_patch_after,
        });
    }

    // Device types.
    if raw.device_types.len() > limits::MAX_DEVICE_TYPES {
        v.push(Diagnostic::whole_file(format!("at most {} device types are supported", limits::MAX_DEVICE_TYPES)));
        return Err(v.diagnostics);
    }
    v.unique(raw.device_types.iter().map(|t| &t.id), "device type");
    let mut device_types = Vec::new();
    for t in &raw.device_types {
        let services = service_set(&mut v, &t.services);
        v.unique(t.vulnerabilities.iter().map(|x| &x.id), "vulnerability of this device type");
        let vulns = t
            .vulnerabilities
            .iter()
            .filter_map(|x| {
                v.ok(lookup(&x.id, "vulnerability", vulnerabilities.iter().map(|y| y.id.as_str())))
                    .map(|i| (VulnId(i as u8), x.share.get()))
            })
            .collect();
        device_types.push(DeviceType {
            id: t.id.get_ref().clone(),
            name: t.name.clone().unwrap_or_else(|| t.id.get_ref().clone()),
            services,
            vulnerabilities: vulns,
            unsupported_os: t.unsupported_os.get(),
            patient_records: t.patient_records,
            criticality: t.criticality,
            default_credentials: t.default_credentials.get(),
            encrypted_at_rest: t.encrypted_at_rest,
            authenticates_commands: t.authenticates_commands.get(),
            radio: t
                .radio
                .iter()
                .map(|r| {
                    let range = *r.range_m.get_ref();
                    if !(range.is_finite() && range > 0.0 && range <= 10_000.0) {
                        v.push(Diagnostic::at(
                            r.range_m.span(),
                            format!("range_m must be above 0 and at most 10,000, found {range}"),
                        ));
                    }
                    Radio { kind: r.kind, range_m: range }
                })
                .collect(),
        });
    }

    // A network given device by device: its devices, and the zones its
    // nodes name (made with their defaults when the scenario lists them not).
    let graph = raw.graph.as_ref().and_then(|g| {
        let base = source.base_dir();
        let names = super::graph_file::Vocabulary {
            device_types: &device_types.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
            services: &services.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        };
        let read = super::graph_file::read(g, &base, &names).map_err(|d| v.diagnostics.extend(d)).ok()?;
        let mut zone_of_name = Vec::with_capacity(read.zones.len());
        let declared: HashMap<String, usize> = zone_index(&zones).into_iter().map(|(k, i)| (k.to_owned(), i)).collect();
        for name in &read.zones {
            let z = match declared.get(name) {
                Some(&i) => i,
                None => {
                    zones.push(Zone {
                        id: name.clone(),
                        name: name.clone(),
                        external: false,
                        security_level: None,
                        intra: ServiceSet::ALL,
                        floor_area_m2: 1000.0,
                        shared: None,
                        organisation: None,
                    });
                    zones.len() - 1
                }
            };
            if zones[z].external {
                v.push(
                    Diagnostic::whole_file(format!("the graph places devices in zone `{name}`, which is external"))
                        .with_help("place devices in a zone of the estate; external zones hold no devices"),
                );
            }
            zone_of_name.push(ZoneId(z as u16));
        }
        if zones.len() > limits::MAX_ZONES {
            v.push(Diagnostic::whole_file(format!(
                "the graph's nodes name {} zones; at most {} are supported",
                zones.len(),
                limits::MAX_ZONES
            )));
            return None;
        }
        Some((read, zone_of_name))
    });
    let ids = zone_index(&zones);
    let zone_ref = |v: &mut Validator, r: &Spanned<String>| resolve_zone(v, &ids, &zones, r);

    // Placement, with the device total checked before any device is allocated.
    let mut placements = Vec::new();
    let mut total: u64 = 0;
    let mut crossing = None;
    for p in &raw.placement {
        let zone = zone_ref(&mut v, &p.zone);
        let device_type = v
            .ok(lookup(&p.device_type, "device type", device_types.iter().map(|t| t.id.as_str())))
            .map(|i| DeviceTypeId(i as u16));
        if let Some(z) = zone
            && zones[usize::from(z.0)].external
        {
            v.push(
                Diagnostic::at(
                    p.zone.span(),
                    format!("zone `{}` is external and cannot hold devices", p.zone.get_ref()),
                )
                .with_help("place devices in a zone of the estate; external zones only start attacks"),
            );
        }
        let count = *p.count.get_ref();
        total += u64::from(count);
        if total > limits::MAX_DEVICES && crossing.is_none() {
            crossing = Some(p.count.span());
        }
        if let (Some(zone), Some(device_type)) = (zone, device_type) {
            placements.push(Placement { zone, device_type, count });
        }
    }
    if total > limits::MAX_DEVICES {
        let span = crossing.unwrap_or(0..0);
        v.push(
            Diagnostic::at(
                span,
                format!("placement adds up to {total} devices, past the limit of {} at this row", limits::MAX_DEVICES),
            )
            .with_help("check the counts for a stray digit"),
        );
    } else if raw.graph.is_some() {
        if let Some(p) = raw.placement.first() {
            v.push(
                Diagnostic::at(p.zone.span(), "a scenario with a [graph] takes its devices from the graph's nodes")
                    .with_help("remove the placement rows, or the [graph] table"),
            );
        }
        if let Some(c) = raw.conduits.first() {
            v.push(
                Diagnostic::at(
                    c.from.span(),
                    "a scenario with a [graph] takes who reaches whom from the graph's edges",
                )
                .with_help("remove the conduits (add or remove edges instead), or the [graph] table"),
            );
        }
    } else if total == 0 && !raw.placement.is_empty() {
        v.push(
            Diagnostic::whole_file("placement puts no device anywhere")
                .with_help("give at least one placement row a count above zero"),
        );
    } else if raw.placement.is_empty() {
        v.push(
            Diagnostic::whole_file("a scenario needs at least one placement row")
                .with_help("add [[placement]] with zone, device_type and count"),
        );
    }

    // Staff and their accounts.
    v.unique(raw.staff.iter().map(|g| &g.id), "staff group");
    let mut staff = Vec::new();
    for g in &raw.staff {
        let mut logs_in_to = vec![false; zones.len()];
        for z in &g.logs_in_to {
            if z.get_ref() == "any" {
                logs_in_to.iter_mut().for_each(|x| *x = true);
            } else if let Some(z) = zone_ref(&mut v, z) {
                logs_in_to[usize::from(z.0)] = true;
            }
        }
        if matches!(g.role, StaffRole::DomainAdministrator) {
            logs_in_to.iter_mut().for_each(|x| *x = true);
        }
        let services = service_set(&mut v, &g.services);
        let works_in = match &g.works_in {
            Some(z) => zone_ref(&mut v, z),
            None => logs_in_to.iter().position(|x| *x).map(|i| ZoneId(i as u16)),
        };
        if *g.count.get_ref() as u64 > limits::MAX_DEVICES {
            v.push(Diagnostic::at(g.count.span(), format!("at most {} accounts in a group", limits::MAX_DEVICES)));
        }
        staff.push(Staff {
            id: g.id.get_ref().clone(),
            name: g.name.clone().unwrap_or_else(|| g.id.get_ref().clone()),
            role: g.role,
            count: *g.count.get_ref(),
            email: g.email,
            click_rate: g.click_rate.get(),
            report_rate: g.report_rate.get(),
            second_factor_bypass: 1.0,
            logs_in_to,
            services,
            works_in,
        });
    }

    // Data flows.
    v.unique(raw.data_flows.iter().map(|f| &f.id), "data flow");
    let type_ref = |v: &mut Validator, r: &Spanned<String>| {
        v.ok(lookup(r, "device type", device_types.iter().map(|t| t.id.as_str()))).map(|i| DeviceTypeId(i as u16))
    };
    let mut data_flows = Vec::new();
    for f in &raw.data_flows {
        let (from, to) = (type_ref(&mut v, &f.from), type_ref(&mut v, &f.to));
        let service = v.ok(lookup(&f.service, "service", service_names())).map(|i| ServiceId(i as u8));
        let rate = *f.messages_per_hour.get_ref();
        if !(rate.is_finite() && rate > 0.0 && rate <= 1e6) {
            v.push(Diagnostic::at(
                f.messages_per_hour.span(),
                format!("messages_per_hour must be above 0 and at most 1,000,000, found {rate}"),
            ));
        }
        if let (Some(from), Some(to), Some(service)) = (from, to, service) {
            data_flows.push(DataFlow {
                id: f.id.get_ref().clone(),
                from,
                to,
                service,
                encrypted: f.encrypted,
                messages_per_hour: rate,
            });
        }
    }

    // Clinical services.
    v.unique(raw.clinical_services.iter().map(|c| &c.id), "clinical service");
    let mut clinical_services = Vec::new();
    for c in &raw.clinical_services {
        if c.needs.is_empty() {
            v.push(
                Diagnostic::at(c.id.span(), format!("clinical service `{}` needs no device", c.id.get_ref()))
                    .with_help("list what it needs, e.g. needs = [{ device_type = \"infusion-pump\", share = 0.9 }]"),
            );
        }
        let needs =
            c.needs.iter().filter_map(|n| type_ref(&mut v, &n.device_type).map(|t| (t, n.share.get()))).collect();
        clinical_services.push(ClinicalService {
            id: c.id.get_ref().clone(),
            name: c.name.clone().unwrap_or_else(|| c.id.get_ref().clone()),
            needs,
        });
    }

    let costs = raw.costs.as_ref().map(|c| costs(&mut v, c, &clinical_services, &instances));

    if !v.diagnostics.is_empty() {
        return Err(v.diagnostics);
    }
    let (devices, network) = match graph {
        None => {
            let mut devices = Vec::with_capacity(total as usize);
            let mut per_type = vec![0u32; device_types.len()];
            for p in &placements {
                let next = &mut per_type[usize::from(p.device_type.0)];
                devices.extend((*next..*next + p.count).map(|ordinal| DeviceSlot {
                    device_type: p.device_type,
                    zone: p.zone,
                    ordinal,
                }));
                *next += p.count;
            }
            (devices, Network::new(&zones, &conduits))
        }
        Some((read, zone_of_name)) => {
            super::graph_network::build(read, &zone_of_name, &mut zones, &mut conduits, &mut placements)
        }
    };
    Ok(Scenario {
        name,
        description: raw.description,
        variant: raw.variant,
        seed: raw.seed,
        trials,
        duration,
        sample_every,
        services,
        zones,
        conduits,
        shared_networks,
        network,
        vulnerabilities,
        device_types,
        placements,
        devices,
        staff,
        data_flows,
        clinical_services,
        costs,
        instances,
        document,
        input_files: raw.graph.as_ref().map_or_else(Vec::new, |g| {
            [&g.nodes, &g.edges, &g.graphml]
                .into_iter()
                .flatten()
                .map(|p| source.base_dir().join(p.get_ref()))
                .collect()
        }),
        source,
    })
}

/// Zone ids to their index, the first of a duplicated id winning (as a
/// scan in file order finds it). A national estate has thousands of zones
/// and tens of thousands of references to them: they are looked up by
/// hash, and the zones listed only to explain an unknown one.
fn zone_index(zones: &[Zone]) -> HashMap<&str, usize> {
    let mut index = HashMap::with_capacity(zones.len());
    for (i, z) in zones.iter().enumerate() {
        index.entry(z.id.as_str()).or_insert(i);
    }
    index
}

/// Resolves a zone reference, or reports it with the zones that exist.
fn resolve_zone(
    v: &mut Validator,
    index: &HashMap<&str, usize>,
    zones: &[Zone],
    r: &Spanned<String>,
) -> Option<ZoneId> {
    match index.get(r.get_ref().as_str()) {
        Some(&i) => Some(ZoneId(i as u16)),
        None => v.ok(lookup(r, "zone", zones.iter().map(|z| z.id.as_str()))).map(|i| ZoneId(i as u16)),
    }
}

/// The smallest round interval giving at most about 200 samples per trial.
pub fn default_sample_interval(duration: SimDuration) -> SimDuration {
    const LADDER_MINUTES: &[u64] = &[1, 5, 15, 30, 60, 120, 240, 360, 720, 1440, 10_080];
    let target = duration.0 / 200;
    LADDER_MINUTES
        .iter()
        .map(|m| SimDuration::from_secs(m * 60))
        .find(|d| d.0 >= target)
        .unwrap_or(SimDuration(target.max(1)))
}

#[derive(Default)]
struct Validator {
    diagnostics: Vec<Diagnostic>,
}

impl Validator {
    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn ok<T>(&mut self, r: Result<T, Diagnostic>) -> Option<T> {
        r.map_err(|d| self.push(d)).ok()
    }

    fn unique<'a>(&mut self, ids: impl Iterator<Item = &'a Spanned<String>>, what: &str) {
        let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
        for id in ids {
            if seen.insert(id.get_ref(), ()).is_some() {
                self.push(
                    Diagnostic::at(id.span(), format!("{what} `{}` is defined twice", id.get_ref()))
                        .with_help("give each one a distinct id"),
                );
            }
        }
    }
}

/// Checks the cost model: every figure a sum of money, every service and
/// attack it names defined.
fn costs(
    v: &mut Validator,
    raw: &super::raw::RawCosts,
    services: &[ClinicalService],
    instances: &[InstanceSection],
) -> Costs {
    let mut money = |x: &Spanned<f64>, what: &str| -> f64 {
        let value = *x.get_ref();
        if value.is_finite() && value >= 0.0 {
            value
        } else {
            v.push(Diagnostic::at(x.span(), format!("{what} must be a sum of money, zero or more, found {value}")));
            0.0
        }
    };
    let default_hour = money(&raw.service_hour, "service_hour");
    let mut service_hour = vec![default_hour; services.len()];
    let mut unknown = Vec::new();
    for (id, cost) in &raw.service_hour_by_service {
        let x = money(cost, "a service's hourly cost");
        match services.iter().position(|s| &s.id == id.get_ref()) {
            Some(i) => service_hour[i] = x,
            None => unknown.push(id),
        }
    }
    let d = &raw.device_hour;
    let device_hour = ByCriticality {
        life_critical: money(&d.life_critical, "device_hour.life-critical"),
        high: money(&d.high, "device_hour.high"),
        medium: money(&d.medium, "device_hour.medium"),
        low: money(&d.low, "device_hour.low"),
    };
    let mut breach = |b: &super::raw::RawBreachCost, what: &str| BreachCost {
        fixed: money(&b.fixed, &format!("{what}.fixed")),
        fine_per_record: money(&b.fine_per_record, &format!("{what}.fine_per_record")),
        fine_cap: b.fine_cap.as_ref().map(|c| money(c, &format!("{what}.fine_cap"))),
    };
    let hipaa_breach = breach(&raw.hipaa_breach, "hipaa_breach");
    let gdpr_breach = breach(&raw.gdpr_breach, "gdpr_breach");
    let record = money(&raw.record, "record");
    let safety_event = money(&raw.safety_event, "safety_event");
    let rebuild = money(&raw.rebuild, "rebuild");
    let analyst_hour = money(&raw.analyst_hour, "analyst_hour");
    let design_cost_per_year = money(&raw.design_cost_per_year, "design_cost_per_year");
    let design_one_off_cost = money(&raw.design_one_off_cost, "design_one_off_cost");
    let ransom = raw.ransom.as_ref().map(|r| super::super::costs::Ransom {
        attacks: r.attacks.iter().map(|a| a.get_ref().clone()).collect(),
        amount: money(&r.amount, "ransom.amount"),
        paid: r.paid,
    });
    let years = *raw.amortise_years.get_ref();
    if !(years.is_finite() && (1.0..=100.0).contains(&years)) {
        v.push(Diagnostic::at(
            raw.amortise_years.span(),
            format!("amortise_years must be between 1 and 100, found {years}"),
        ));
    }
    let currency = raw.currency.get_ref().trim().to_owned();
    if currency.is_empty() || currency.chars().count() > 8 {
        v.push(
            Diagnostic::at(raw.currency.span(), format!("currency `{currency}` is not a currency code"))
                .with_help("use an ISO code such as GBP, EUR or USD"),
        );
    }
    for id in unknown {
        let known: Vec<&str> = services.iter().map(|s| s.id.as_str()).collect();
        v.push(Diagnostic::at(id.span(), format!("unknown clinical service `{}`", id.get_ref())).with_help(
            if known.is_empty() {
                "this scenario defines no clinical services".to_owned()
            } else {
                format!("the clinical services of this scenario are: {}", known.join(", "))
            },
        ));
    }
    if let Some(r) = &raw.ransom {
        let attacks: Vec<&str> =
            instances.iter().filter(|i| i.role == Role::Attack).map(|i| i.id.get_ref().as_str()).collect();
        for a in &r.attacks {
            if !attacks.contains(&a.get_ref().as_str()) {
                v.push(Diagnostic::at(a.span(), format!("unknown attack `{}`", a.get_ref())).with_help(
                    if attacks.is_empty() {
                        "this scenario defines no attacks".to_owned()
                    } else {
                        format!("the attacks of this scenario are: {}", attacks.join(", "))
                    },
                ));
            }
        }
    }
    Costs {
        currency,
        service_hour,
        device_hour,
        record,
        hipaa_breach,
        gdpr_breach,
        safety_event,
        rebuild,
        analyst_hour,
        ransom,
        design_cost_per_year,
        design_one_off_cost,
        amortise_years: years,
    }
}
