//! A network given device by device: who reaches whom, on which services,
//! as a hospital's asset inventory or a network scan records it.
//!
//! Stored as a compressed sparse row graph (petgraph's [`Csr`]): for each
//! device, its out-neighbours in one slice and the services each edge
//! carries beside it, 12 bytes an edge and 8 a device, so ten million edges
//! fit in about 130 MB. An undirected edge is stored once each way.

use petgraph::csr::Csr;

use crate::device::DeviceIndex;
use crate::network::{ServiceId, ServiceSet};

/// Devices and the directed edges between them, each with its services.
#[derive(Debug)]
pub struct DeviceGraph {
    csr: Csr<(), ServiceSet, petgraph::Directed, u32>,
}

impl DeviceGraph {
    /// Builds the graph of `devices` nodes from directed edges in any
    /// order; an edge listed more than once carries the union of its
    /// services, and self-loops are dropped (a host does not attack itself).
    pub fn from_edges(devices: u32, mut edges: Vec<(u32, u32, ServiceSet)>) -> Self {
        edges.retain(|&(a, b, _)| a != b);
        // Tens of millions of edges: sort on every core.
        rayon::slice::ParallelSliceMut::par_sort_unstable_by_key(&mut edges[..], |&(a, b, _)| (a, b));
        edges.dedup_by(|later, kept| {
            let same = (later.0, later.1) == (kept.0, kept.1);
            if same {
                kept.2 = ServiceSet(kept.2.0 | later.2.0);
            }
            same
        });
        let mut csr: Csr<(), ServiceSet, petgraph::Directed, u32> =
            Csr::from_sorted_edges(&edges).expect("edges were sorted and deduplicated");
        drop(edges);
        // Devices after the last one with an edge have no row yet.
        while csr.node_count() < devices as usize {
            csr.add_node(());
        }
        DeviceGraph { csr }
    }

    /// Number of devices.
    pub fn device_count(&self) -> u32 {
        self.csr.node_count() as u32
    }

    /// Number of directed edges (an undirected one counts twice).
    pub fn edge_count(&self) -> usize {
        self.csr.edge_count()
    }

    /// The devices `d` has an edge to, with the services each edge carries.
    pub fn edges(&self, d: DeviceIndex) -> impl Iterator<Item = (DeviceIndex, ServiceSet)> + '_ {
        self.csr.neighbors_slice(d).iter().copied().zip(self.csr.edges_slice(d).iter().copied())
    }

    /// The devices `d` has an edge to that carries `service`.
    pub fn neighbours(&self, d: DeviceIndex, service: ServiceId) -> impl Iterator<Item = DeviceIndex> + '_ {
        self.edges(d).filter(move |(_, s)| s.contains(service)).map(|(b, _)| b)
    }

    /// Bytes the graph holds, for benchmarks.
    pub fn heap_bytes(&self) -> usize {
        self.edge_count() * (4 + 8) + (self.device_count() as usize + 1) * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_merge_their_services_and_self_loops_go() {
        let (smb, rdp) = (ServiceId(0), ServiceId(7));
        let mut only_smb = ServiceSet::NONE;
        only_smb.insert(smb);
        let mut only_rdp = ServiceSet::NONE;
        only_rdp.insert(rdp);
        let g =
            DeviceGraph::from_edges(5, vec![(2, 0, only_smb), (0, 1, only_smb), (0, 1, only_rdp), (1, 1, only_smb)]);
        assert_eq!(g.device_count(), 5, "devices without edges keep their place");
        assert_eq!(g.edge_count(), 2);
        assert_eq!(g.neighbours(0, rdp).collect::<Vec<_>>(), vec![1]);
        assert_eq!(g.neighbours(0, smb).collect::<Vec<_>>(), vec![1]);
        assert_eq!(g.neighbours(1, smb).count(), 0, "no self-loop, and edges are directed");
        assert_eq!(g.neighbours(2, smb).collect::<Vec<_>>(), vec![0]);
        assert_eq!(g.edges(4).count(), 0);
    }
}
