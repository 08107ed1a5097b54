//! The zone and conduit network (IEC 62443 vocabulary).
//!
//! A zone holds devices that can talk to each other (on every service,
//! unless the zone restricts its own traffic: micro-segmentation). A conduit
//! lets one zone reach another on named services, in one direction or both.
//! Reachability is derived from this small graph of zones; device-to-device
//! edges are never materialised, since a flat hospital of 6,000 devices
//! would need 36 million of them.
//!
//! Reachability is one hop: a host in zone A reaches a host in zone B on a
//! service when A is B and the zone allows the service inside it, or when a
//! conduit from A to B carries it. Crossing two conduits takes a foothold in
//! the zone between, which is what an attack's spread models.
//!
//! A scenario may instead give its network device by device (a
//! [`DeviceGraph`] read from graph files). Then a host reaches exactly the
//! hosts it has an edge to, on the edge's services (an edge inside a zone
//! also needs the zone to allow the service, so micro-segmentation still
//! acts); the zones and conduits are derived from the edges, for the
//! mechanisms and reports that reason zone by zone.

use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::device_graph::DeviceGraph;

/// Index of a zone in [`crate::Scenario::zones`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZoneId(pub u16);

/// Index of a service in [`crate::Scenario::services`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(pub u8);

/// The most services a scenario can name (they fit one 64-bit set).
pub const MAX_SERVICES: usize = 64;

/// A set of services, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceSet(pub u64);

impl ServiceSet {
    /// Every service.
    pub const ALL: ServiceSet = ServiceSet(u64::MAX);
    /// No service.
    pub const NONE: ServiceSet = ServiceSet(0);

    /// Whether the set holds `s`.
    pub fn contains(self, s: ServiceId) -> bool {
        self.0 & (1 << s.0) != 0
    }

    /// Adds `s`.
    pub fn insert(&mut self, s: ServiceId) {
        self.0 |= 1 << s.0;
    }
}

/// A network service that devices expose and conduits carry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Service {
    /// Its name in scenario files, such as `smb`.
    pub id: String,
    /// Its usual TCP or UDP port, for reports.
    pub port: u16,
}

/// The services every scenario knows without declaring them.
pub const BUILTIN_SERVICES: &[(&str, u16)] = &[
    ("smb", 445),
    ("https", 443),
    ("http", 80),
    ("hl7", 2575),
    ("dicom", 104),
    ("telnet", 23),
    ("ssh", 22),
    ("rdp", 3389),
    ("mqtt", 1883),
];

/// A validated zone.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Zone {
    /// Its id in scenario files.
    pub id: String,
    /// A readable name for reports.
    pub name: String,
    /// Outside the estate (the internet, a vendor's network): holds no devices.
    pub external: bool,
    /// IEC 62443 target security level (SL-T 1–4), reported with results.
    pub security_level: Option<u8>,
    /// Services hosts inside the zone may use with each other.
    #[serde(skip)]
    pub intra: ServiceSet,
    /// Floor area the zone's devices are spread over, in square metres.
    pub floor_area_m2: f64,
    /// The shared network it is attached to, the services that carries,
    /// and the share of the other zones' hosts on it a host reaches.
    #[serde(skip)]
    pub shared: Option<(u16, ServiceSet, f64)>,
    /// The organisation it belongs to, if the scenario says.
    pub organisation: Option<String>,
}

/// A validated shared network.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SharedNetwork {
    /// Its id in scenario files.
    pub id: String,
    /// A readable name for reports.
    pub name: String,
}

/// A validated conduit in one direction.
#[derive(Clone, Debug)]
pub struct Conduit {
    /// The zone that starts connections.
    pub from: ZoneId,
    /// The zone that accepts them.
    pub to: ZoneId,
    /// The services it carries.
    pub services: ServiceSet,
}

/// The zone graph: one node per zone, one edge per directed conduit.
#[derive(Clone, Debug)]
pub struct Network {
    graph: DiGraph<ZoneId, ServiceSet>,
    intra: Vec<ServiceSet>,
    devices: Option<Arc<DeviceGraph>>,
    /// Per zone: its shared network, what that carries, and its reach.
    shared: Vec<Option<(u16, ServiceSet, f64)>>,
    /// Per shared network: its zones, in zone order.
    members: Vec<Vec<ZoneId>>,
}

impl Network {
    /// Builds the graph from zones and directed conduits.
    pub fn new(zones: &[Zone], conduits: &[Conduit]) -> Self {
        let mut graph = DiGraph::with_capacity(zones.len(), conduits.len());
        for i in 0..zones.len() {
            graph.add_node(ZoneId(i as u16));
        }
        for c in conduits {
            graph.add_edge(NodeIndex::new(c.from.0.into()), NodeIndex::new(c.to.0.into()), c.services);
        }
        let shared: Vec<Option<(u16, ServiceSet, f64)>> = zones.iter().map(|z| z.shared).collect();
        let count = shared.iter().flatten().map(|&(n, _, _)| usize::from(n) + 1).max().unwrap_or(0);
        let mut members = vec![Vec::new(); count];
        for (z, s) in shared.iter().enumerate() {
            if let Some((n, _, _)) = s {
                members[usize::from(*n)].push(ZoneId(z as u16));
            }
        }
        Network { graph, intra: zones.iter().map(|z| z.intra).collect(), devices: None, shared, members }
    }

    /// The same network rebuilt from (amended) zones and conduits, keeping
    /// its device graph.
    pub fn rebuilt(&self, zones: &[Zone], conduits: &[Conduit]) -> Self {
        Network { devices: self.devices.clone(), ..Network::new(zones, conduits) }
    }

    /// This network with device-by-device reach.
    pub fn with_devices(mut self, devices: Arc<DeviceGraph>) -> Self {
        self.devices = Some(devices);
        self
    }

    /// The device graph, when the scenario gave its network device by device.
    pub fn device_graph(&self) -> Option<&Arc<DeviceGraph>> {
        self.devices.as_ref()
    }

    /// Whether hosts inside zone `z` may use `service` with each other.
    pub fn allows_within(&self, z: ZoneId, service: ServiceId) -> bool {
        self.intra[usize::from(z.0)].contains(service)
    }

    /// Zones whose hosts a host in `from` can reach on `service`, in zone
    /// order, each once (`from` itself included when its own traffic allows
    /// the service).
    pub fn reachable_zones(&self, from: ZoneId, service: ServiceId) -> Vec<ZoneId> {
        let mut out = self.directly_reachable_zones(from, service);
        if let Some((_, others, _)) = self.shared_reach(from, service) {
            out.extend(others.iter().copied().filter(|&z| z != from));
            out.sort();
            out.dedup();
        }
        out
    }

    /// The shared network `from` reaches other zones through on `service`,
    /// if any, with all of its zones (`from` among them) and the share of
    /// their hosts one host reaches.
    pub fn shared_reach(&self, from: ZoneId, service: ServiceId) -> Option<(usize, &[ZoneId], f64)> {
        match self.shared[usize::from(from.0)] {
            Some((n, carries, reach)) if carries.contains(service) => {
                Some((usize::from(n), self.members[usize::from(n)].as_slice(), reach))
            }
            _ => None,
        }
    }

    /// Zones a host in `from` reaches on `service` by conduits and inside
    /// its own zone, leaving out its shared network.
    pub fn directly_reachable_zones(&self, from: ZoneId, service: ServiceId) -> Vec<ZoneId> {
        let mut out: Vec<ZoneId> = self
            .graph
            .edges(NodeIndex::new(from.0.into()))
            .filter(|e| e.weight().contains(service))
            .map(|e| self.graph[e.target()])
            .collect();
        if self.intra[usize::from(from.0)].contains(service) {
            out.push(from);
        }
        out.sort();
        out.dedup();
        out
    }

    /// Whether a host in `from` can reach a host in `to` on `service`.
    pub fn reaches(&self, from: ZoneId, to: ZoneId, service: ServiceId) -> bool {
        self.reachable_zones(from, service).contains(&to)
    }

    /// Directed zone pairs and what they carry, for diagrams and reports.
    pub fn conduits(&self) -> impl Iterator<Item = (ZoneId, ZoneId, ServiceSet)> + '_ {
        self.graph.edge_references().map(|e| (self.graph[e.source()], self.graph[e.target()], *e.weight()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(id: &str, intra: ServiceSet) -> Zone {
        Zone {
            id: id.into(),
            name: id.into(),
            external: false,
            security_level: None,
            intra,
            floor_area_m2: 1000.0,
            shared: None,
            organisation: None,
        }
    }

    #[test]
    fn reach_follows_conduits_one_hop_in_their_direction() {
        let smb = ServiceId(0);
        let hl7 = ServiceId(3);
        let mut only_smb = ServiceSet::NONE;
        only_smb.insert(smb);
        let zones = [zone("a", ServiceSet::ALL), zone("b", ServiceSet::ALL), zone("c", ServiceSet::NONE)];
        let conduits = [
            Conduit { from: ZoneId(0), to: ZoneId(1), services: only_smb },
            Conduit { from: ZoneId(1), to: ZoneId(2), services: ServiceSet::ALL },
        ];
        let net = Network::new(&zones, &conduits);
        assert_eq!(net.reachable_zones(ZoneId(0), smb), vec![ZoneId(0), ZoneId(1)]);
        assert_eq!(net.reachable_zones(ZoneId(0), hl7), vec![ZoneId(0)]);
        // One hop only: a does not reach c through b.
        assert!(!net.reaches(ZoneId(0), ZoneId(2), smb));
        // Conduits are directed.
        assert!(!net.reaches(ZoneId(1), ZoneId(0), smb));
        // A micro-segmented zone does not reach itself.
        assert_eq!(net.reachable_zones(ZoneId(2), smb), Vec::<ZoneId>::new());
    }

    #[test]
    fn a_shared_network_joins_every_pair_of_its_zones_on_its_services() {
        let (smb, hl7) = (ServiceId(0), ServiceId(3));
        let mut only_smb = ServiceSet::NONE;
        only_smb.insert(smb);
        let mut zones: Vec<Zone> = ["a", "b", "c", "d"].iter().map(|id| zone(id, ServiceSet::NONE)).collect();
        for z in &mut zones[..3] {
            z.shared = Some((0, only_smb, 1.0));
        }
        let net = Network::new(&zones, &[]);
        assert_eq!(net.reachable_zones(ZoneId(0), smb), vec![ZoneId(1), ZoneId(2)], "the others, not itself");
        assert_eq!(net.reachable_zones(ZoneId(0), hl7), Vec::<ZoneId>::new(), "only what it carries");
        assert!(net.reachable_zones(ZoneId(3), smb).is_empty(), "a zone not attached reaches none");
        assert!(net.directly_reachable_zones(ZoneId(1), smb).is_empty());
        assert_eq!(net.shared_reach(ZoneId(2), smb).map(|(n, m, _)| (n, m.len())), Some((0, 3)));
    }
}
