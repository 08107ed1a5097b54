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

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

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
        Network { graph, intra: zones.iter().map(|z| z.intra).collect() }
    }

    /// Zones whose hosts a host in `from` can reach on `service`, in zone
    /// order, each once (`from` itself included when its own traffic allows
    /// the service).
    pub fn reachable_zones(&self, from: ZoneId, service: ServiceId) -> Vec<ZoneId> {
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
        Zone { id: id.into(), name: id.into(), external: false, security_level: None, intra, floor_area_m2: 1000.0 }
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
}
