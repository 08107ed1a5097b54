//! The MITRE ATT&CK techniques that mechanisms may name in the events they
//! declare, with their official names. Every id an event declares must be
//! in this table (checked when a model is built), so a report never shows an
//! id nobody can look up.

/// The ATT&CK release the names below are taken from.
pub const ATTACK_VERSION: &str = "ATT&CK v16 (Enterprise and ICS matrices)";

/// Technique id, matrix and official name, in id order.
pub const TECHNIQUES: &[(&str, &str, &str)] = &[
    ("T0812", "ICS", "Default Credentials"),
    ("T0813", "ICS", "Denial of Control"),
    ("T0814", "ICS", "Denial of Service"),
    ("T0815", "ICS", "Denial of View"),
    ("T0822", "ICS", "External Remote Services"),
    ("T0826", "ICS", "Loss of Availability"),
    ("T0827", "ICS", "Loss of Control"),
    ("T0829", "ICS", "Loss of View"),
    ("T0830", "ICS", "Adversary-in-the-Middle"),
    ("T0831", "ICS", "Manipulation of Control"),
    ("T0832", "ICS", "Manipulation of View"),
    ("T0836", "ICS", "Modify Parameter"),
    ("T0855", "ICS", "Unauthorized Command Message"),
    ("T0856", "ICS", "Spoof Reporting Message"),
    ("T0859", "ICS", "Valid Accounts"),
    ("T0860", "ICS", "Wireless Compromise"),
    ("T0866", "ICS", "Exploitation of Remote Services"),
    ("T0880", "ICS", "Loss of Safety"),
    ("T0886", "ICS", "Remote Services"),
    ("T1003", "Enterprise", "OS Credential Dumping"),
    ("T1005", "Enterprise", "Data from Local System"),
    ("T1021", "Enterprise", "Remote Services"),
    ("T1040", "Enterprise", "Network Sniffing"),
    ("T1041", "Enterprise", "Exfiltration Over C2 Channel"),
    ("T1046", "Enterprise", "Network Service Discovery"),
    ("T1059", "Enterprise", "Command and Scripting Interpreter"),
    ("T1078", "Enterprise", "Valid Accounts"),
    ("T1110", "Enterprise", "Brute Force"),
    ("T1133", "Enterprise", "External Remote Services"),
    ("T1190", "Enterprise", "Exploit Public-Facing Application"),
    ("T1199", "Enterprise", "Trusted Relationship"),
    ("T1204", "Enterprise", "User Execution"),
    ("T1210", "Enterprise", "Exploitation of Remote Services"),
    ("T1213", "Enterprise", "Data from Information Repositories"),
    ("T1486", "Enterprise", "Data Encrypted for Impact"),
    ("T1490", "Enterprise", "Inhibit System Recovery"),
    ("T1498", "Enterprise", "Network Denial of Service"),
    ("T1499", "Enterprise", "Endpoint Denial of Service"),
    ("T1552", "Enterprise", "Unsecured Credentials"),
    ("T1557", "Enterprise", "Adversary-in-the-Middle"),
    ("T1565", "Enterprise", "Data Manipulation"),
    ("T1566", "Enterprise", "Phishing"),
    ("T1567", "Enterprise", "Exfiltration Over Web Service"),
    ("T1595", "Enterprise", "Active Scanning"),
];

/// The official name of technique `id`, if it is in the table.
pub fn technique_name(id: &str) -> Option<&'static str> {
    TECHNIQUES.iter().find(|(t, _, _)| *t == id).map(|(_, _, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_unique_and_well_formed() {
        assert!(TECHNIQUES.windows(2).all(|w| w[0].0 < w[1].0), "ids sorted and unique");
        assert!(TECHNIQUES.len() <= 128, "the trial keeps known indicators in 128 bits");
        for (id, matrix, name) in TECHNIQUES {
            assert!(id.len() == 5 && id.starts_with('T') && id[1..].chars().all(|c| c.is_ascii_digit()), "{id}");
            // ICS techniques are numbered T08xx, Enterprise ones T1xxx.
            assert_eq!(*matrix == "ICS", id.starts_with("T08"), "{id} in {matrix}");
            assert!(!name.is_empty());
        }
        assert_eq!(technique_name("T1210"), Some("Exploitation of Remote Services"));
        assert_eq!(technique_name("T9999"), None);
    }
}
