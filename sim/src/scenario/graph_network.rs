//! Turning what graph files say into the scenario's devices and network:
//! devices numbered in node order, the zones and conduits the edges imply
//! (for mechanisms and reports that reason zone by zone), and the device
//! graph itself, which spread follows edge by edge.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::DeviceSlot;
use super::graph_file::GraphRead;
use crate::device_graph::DeviceGraph;
use crate::estate::{DeviceTypeId, Placement};
use crate::network::{Conduit, Network, ServiceSet, Zone, ZoneId};

/// The devices and network of a graph. A device's ordinal is its place
/// among the nodes of its type, as with placement rows, so that the same
/// device keeps its random draws in a zone-model design of the same estate.
/// Zones allow inside them only the services some edge inside them carries
/// (and what the scenario's `intra_zone` allows); a conduit joins two zones
/// on the services the edges between them carry.
pub(super) fn build(
    read: GraphRead,
    zone_of_name: &[ZoneId],
    zones: &mut [Zone],
    conduits: &mut Vec<Conduit>,
    placements: &mut Vec<Placement>,
) -> (Vec<DeviceSlot>, Network) {
    let mut per_type: HashMap<u16, u32> = HashMap::new();
    let mut cell: HashMap<(ZoneId, DeviceTypeId), usize> = HashMap::new();
    let devices: Vec<DeviceSlot> = read
        .devices
        .iter()
        .map(|&(t, z)| {
            let (device_type, zone) = (DeviceTypeId(t), zone_of_name[z as usize]);
            let next = per_type.entry(t).or_insert(0);
            let ordinal = *next;
            *next += 1;
            let row = *cell.entry((zone, device_type)).or_insert_with(|| {
                placements.push(Placement { zone, device_type, count: 0 });
                placements.len() - 1
            });
            placements[row].count += 1;
            DeviceSlot { device_type, zone, ordinal }
        })
        .collect();
    let mut inside = vec![ServiceSet::NONE; zones.len()];
    let mut between: BTreeMap<(ZoneId, ZoneId), ServiceSet> = BTreeMap::new();
    for &(a, b, services) in &read.edges {
        let (za, zb) = (devices[a as usize].zone, devices[b as usize].zone);
        let set = if za == zb { &mut inside[usize::from(za.0)] } else { between.entry((za, zb)).or_default() };
        *set = ServiceSet(set.0 | services.0);
    }
    for (zone, seen) in zones.iter_mut().zip(&inside) {
        zone.intra = ServiceSet(zone.intra.0 & seen.0);
    }
    conduits.extend(between.into_iter().map(|((from, to), services)| Conduit { from, to, services }));
    let graph = DeviceGraph::from_edges(devices.len() as u32, read.edges);
    let network = Network::new(zones, conduits).with_devices(Arc::new(graph));
    (devices, network)
}
