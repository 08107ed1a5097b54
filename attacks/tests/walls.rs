//! The engine (`sim`) and the analysis name no mechanism: they know attacks
//! and defences only by what those declare. This test reads their sources
//! and fails if any code line (comments aside) names a registered kind.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_engine_and_the_analysis_name_no_mechanism() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let kinds: Vec<&str> = iomtsim_attacks::registry().iter().map(|f| f.kind()).collect();
    assert!(kinds.len() >= 5, "{kinds:?}");
    let mut files = Vec::new();
    rust_files(&root.join("sim/src"), &mut files);
    rust_files(&root.join("analysis/src"), &mut files);
    assert!(files.len() > 20);
    let mut leaks = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for kind in &kinds {
                let named = code.match_indices(kind).any(|(i, _)| {
                    let before = code[..i].chars().next_back();
                    let after = code[i + kind.len()..].chars().next();
                    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                    !word(before) && !word(after)
                });
                if named {
                    leaks.push(format!("{}:{}: names `{kind}`: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "mechanism names in the engine or the analysis:\n{}", leaks.join("\n"));
}
