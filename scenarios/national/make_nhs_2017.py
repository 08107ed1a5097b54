"""Writes nhs-england-2017.toml: the NHS in England as WannaCry found it on
12 May 2017, about a million devices in some 7,700 organisations on one
shared national network (N3). Run from this folder:

    python3 make_nhs_2017.py

The file it writes is generated; change this script, not the file. Every
draw is seeded, so the same script writes the same file. Sources are the
labels of docs/sources.md; "assumed" marks a guess with no published source.
"""

import math
import random

rng = random.Random(2017)

TRUSTS = 236  # [S8]: the NAO counts 236 trusts in England
PRACTICES = 7454  # [S30]: GP practices in England, 2017
# Devices per trust: a lognormal around 2,800 (assumed; 10-20 connected
# devices per bed [S1] on trusts of a few hundred to 2,000 beds).
TRUST_MEDIAN, TRUST_SIGMA = 2800, 0.6
# Devices per practice: a lognormal around 18 (assumed).
PRACTICE_MEDIAN, PRACTICE_SIGMA = 18, 0.5
# Each organisation's share of Windows hosts still without MS17-010 on the
# day, by patch level, and how many organisations are at each (assumed:
# the patch was two months old [S7]; every infected organisation ran
# unpatched or unsupported Windows [S8]).
PATCH_LEVELS = [("patched", 0.02, 0.45), ("partly", 0.15, 0.30), ("behind", 0.45, 0.17), ("legacy", 0.85, 0.08)]


def lognormal(median, sigma):
    return median * math.exp(rng.gauss(0.0, sigma))


def patch_level():
    x = rng.random()
    for name, _, weight in PATCH_LEVELS:
        if x < weight:
            return name
        x -= weight
    return PATCH_LEVELS[-1][0]


zones, conduits, placement = [], [], []


def organisation(org_id, name, kind, devices):
    level = patch_level()
    lan, edge = f"{org_id}-lan", f"{org_id}-n3"
    zones.append(f'{{ id = "{lan}", name = "{name}", organisation = "{org_id}" }}')
    zones.append(f'{{ id = "{edge}", name = "{name} (on N3)", organisation = "{org_id}", shared_network = "n3" }}')
    conduits.append(f'{{ from = "{lan}", to = "{edge}", services = ["smb"], bidirectional = true }}')
    if kind == "trust":
        windows = round(devices * 0.36)  # assumed: PCs and servers
        diagnostic = round(devices * 0.03)  # assumed: imaging and lab systems on Windows
        exposed = max(1, round(devices * 0.001))  # assumed: hosts N3 reaches on SMB
        medical = max(0, devices - windows - diagnostic - exposed)
        rows = [(lan, f"windows-{level}", windows), (lan, "diagnostic", diagnostic), (lan, "medical", medical)]
    else:
        windows = max(1, round(devices * 0.9))  # assumed
        exposed = 1  # assumed: the practice server
        rows = [(lan, f"windows-{level}", windows), (lan, "medical", max(0, devices - windows - exposed))]
    rows.append((edge, f"n3-host-{level}", exposed))
    for zone, device_type, count in rows:
        if count > 0:
            placement.append(f'{{ zone = "{zone}", device_type = "{device_type}", count = {count} }}')
    return sum(count for _, _, count in rows)


total = 0
for i in range(TRUSTS):
    total += organisation(f"trust-{i + 1:03}", f"Trust {i + 1}", "trust", max(300, round(lognormal(TRUST_MEDIAN, TRUST_SIGMA))))
for i in range(PRACTICES):
    total += organisation(f"gp-{i + 1:04}", f"GP practice {i + 1}", "practice", max(4, round(lognormal(PRACTICE_MEDIAN, PRACTICE_SIGMA))))

types = []
for name, share, _ in PATCH_LEVELS:
    types.append(
        f'{{ id = "windows-{name}", name = "PC or server on Windows ({name})", services = ["smb", "rdp"], '
        f'vulnerabilities = [{{ id = "ms17-010", share = {share} }}], criticality = "medium" }}'
    )
    types.append(
        f'{{ id = "n3-host-{name}", name = "Host reachable over N3 ({name})", services = ["smb"], '
        f'vulnerabilities = [{{ id = "ms17-010", share = {share} }}], criticality = "medium" }}'
    )
# Diagnostic devices on Windows: MRI and CT consoles, lab analysers. 83% of
# imaging devices ran an unsupported OS [S3]; about half still exposed
# (assumed).
types.append(
    '{ id = "diagnostic", name = "Diagnostic device on Windows", services = ["smb", "dicom"], '
    'vulnerabilities = [{ id = "ms17-010", share = 0.5 }], unsupported_os = 0.83, criticality = "high" }'
)
types.append('{ id = "medical", name = "Other medical device", services = ["https", "hl7"], criticality = "high" }')

TABLES = """[[vulnerabilities]]
id = "ms17-010"
cve = "CVE-2017-0144"
cvss = 8.1
service = "smb"
disclosed = "-59d"      # [S7]: patched on 14 March 2017, 59 days before
vendor_patch_after = "0d"

[[shared_networks]]
id = "n3"
name = "N3, the NHS national network"
services = ["smb"]      # [S8]: EternalBlue over SMBv1 (port 445)
reach = 0.0004            # assumed: calibrated to the NAO's count of trusts infected

[attacks.worm]
exploit = "ms17-010"
exploit_success = 0.9       # assumed
scans_per_hour = 20.0       # assumed: WannaCry swept its own network fast
start = "11h"               # [S8]: NHS organisations were hit from late morning
entry_devices = 40          # assumed: hosts infected from the internet
entry_device_type = "n3-host-legacy"
kill_switch_after = "5h"    # [S31]: registered about 15:03 UTC, the same afternoon

[attacks.ransomware]
follows = ["worm"]
delay = { dist = "uniform", min = "1m", max = "15m" }       # assumed
noticed_after = { dist = "lognormal", median = "30m", p90 = "4h" }  # assumed

"""

with open("nhs-england-2017.toml", "w") as f:
    f.write(f"""# ============================================================================
#  The NHS in England on 12 May 2017, when WannaCry struck (generated by
#  make_nhs_2017.py: edit that, not this file).
#
#  {TRUSTS} trusts and {PRACTICES} GP practices, {total:,} devices, each
#  organisation a LAN and the few hosts the national network (N3) reaches
#  over SMB. The worm arrives from outside on hosts N3 reaches, spreads
#  inside each organisation and between organisations over N3, and stops
#  when the kill switch is registered that afternoon. Organisations differ
#  in size and in how far they had patched MS17-010.
#
#      iomtsim run scenarios/national/nhs-england-2017.toml --trials 20
#
#  breakdown.parquet tells each organisation's outcome (the `organisation`
#  column). The README compares the results with what the National Audit
#  Office counted [S8]. The worm and its payload are at the end of the file.
# ============================================================================

name = "nhs-england-2017"
description = "NHS England on 12 May 2017: {TRUSTS} trusts and {PRACTICES} GP practices on N3, hit by WannaCry"
variant = "2017"
seed = 2017
trials = 20             # assumed: each trial is one day
duration = "2d"

device_types = [
""")
    f.write("".join(f"  {t},\n" for t in types))
    f.write("]\n\nzones = [\n")
    f.write("".join(f"  {z},\n" for z in zones))
    f.write("]\n\nconduits = [\n")
    f.write("".join(f"  {c},\n" for c in conduits))
    f.write("]\n\nplacement = [\n")
    f.write("".join(f"  {p},\n" for p in placement))
    f.write("]\n\n")
    f.write(TABLES)
print(f"{TRUSTS} trusts, {PRACTICES} practices, {total} devices, {len(zones)} zones")
