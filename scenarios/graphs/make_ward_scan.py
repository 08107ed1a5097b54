"""Writes the ward-scan graph files: Ward 4 of the teaching ward
(scenarios/teaching/flat-ward.toml) as a network scan would record it,
device by device, in both formats iomtsim reads: a node table and an edge
list in CSV, and GraphML written by networkx. Run from this folder:

    python3 make_ward_scan.py

The ward has the flat ward's 200 devices in two VLANs. Who reaches whom is
assumed (no published scan of a ward's network exists): the Windows hosts
of the clinical VLAN all reach each other on SMB; the medical-device VLAN
is reachable from the clinical VLAN only on the services its devices serve
their stations on, and its devices reach each other only if they share a
bay (four bays).
"""

import csv

import networkx as nx

COUNTS = [
    ("infusion-pump", "ward-devices", 80),
    ("patient-monitor", "ward-devices", 30),
    ("central-station", "ward-clinical", 2),
    ("workstation", "ward-clinical", 20),
    ("blood-gas-analyser", "ward-devices", 2),
    ("medication-dispenser", "ward-clinical", 2),
    ("wearable", "ward-devices", 40),
    ("nurse-call", "ward-devices", 20),
    ("ip-camera", "ward-devices", 4),
]
WINDOWS = {"central-station", "workstation", "blood-gas-analyser", "medication-dispenser"}
BAYS = 4

g = nx.Graph()
for device_type, zone, count in COUNTS:
    for i in range(count):
        g.add_node(f"{device_type}-{i + 1}", device_type=device_type, zone=zone, bay=i % BAYS)

nodes = list(g.nodes(data=True))
for a, (u, du) in enumerate(nodes):
    for v, dv in nodes[a + 1 :]:
        both_windows = du["device_type"] in WINDOWS and dv["device_type"] in WINDOWS
        if du["zone"] == dv["zone"] == "ward-clinical":
            g.add_edge(u, v, service="smb rdp")
        elif du["zone"] == dv["zone"] == "ward-devices":
            if du["bay"] == dv["bay"]:
                g.add_edge(u, v, service="any")
        elif both_windows:
            # The analysers send results to the stations over SMB shares.
            g.add_edge(u, v, service="smb hl7")
        else:
            clinical, device = (du, dv) if du["zone"] == "ward-clinical" else (dv, du)
            if clinical["device_type"] == "central-station" and device["device_type"] == "patient-monitor":
                g.add_edge(u, v, service="hl7")

for n in g.nodes:
    del g.nodes[n]["bay"]
nx.write_graphml(g, "ward-scan.graphml")
with open("ward-scan-nodes.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "device_type", "zone"])
    for n, d in g.nodes(data=True):
        w.writerow([n, d["device_type"], d["zone"]])
with open("ward-scan-edges.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["source", "target", "service"])
    for u, v, d in g.edges(data=True):
        w.writerow([u, v, d["service"]])
print(g.number_of_nodes(), "devices,", g.number_of_edges(), "edges")
