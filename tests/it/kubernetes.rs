//! The Kubernetes manifests of `deploy/kubernetes/`, read as a cluster
//! would read them: an Indexed Job whose shard count agrees everywhere it
//! is written, and a merge Job. Each pod's own command is then run here,
//! once per completion index with the pod's environment, followed by the
//! merge Job's command, and the merged sweep must equal a whole run on
//! this machine byte for byte. (No cluster is started: what could go
//! wrong in the manifests is their commands and their counts, and both are
//! checked.)

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::{iomtsim, root};

fn manifest(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join("deploy/kubernetes").join(name)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"))
}

/// The pod's single container.
fn container(job: &Value) -> &Value {
    let containers = job["spec"]["template"]["spec"]["containers"].as_array().expect("containers");
    assert_eq!(containers.len(), 1, "one container per pod");
    &containers[0]
}

/// The container's environment as name–value pairs.
fn env(c: &Value) -> Vec<(String, String)> {
    c["env"]
        .as_array()
        .expect("env")
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_owned(), e["value"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// Runs the container's command in `cwd` with its environment, `set` on top.
fn run_pod(c: &Value, cwd: &Path, set: &[(&str, String)]) {
    let argv: Vec<&str> = c["command"]
        .as_array()
        .expect("command")
        .iter()
        .chain(c["args"].as_array().expect("args"))
        .map(|a| a.as_str().unwrap())
        .collect();
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..]).current_dir(cwd).envs(env(c));
    for (k, v) in set {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the pod's shell runs");
    assert!(out.status.success(), "the pod failed: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_indexed_job_runs_one_shard_per_pod_and_the_merge_job_joins_them_into_a_whole_run() {
    let sweep_job = manifest("sweep-job.yaml");
    assert_eq!(sweep_job["kind"], "Job");
    assert_eq!(sweep_job["spec"]["completionMode"], "Indexed");
    assert_eq!(sweep_job["spec"]["template"]["spec"]["restartPolicy"], "Never");
    let completions = sweep_job["spec"]["completions"].as_u64().expect("completions");
    assert_eq!(sweep_job["spec"]["parallelism"].as_u64(), Some(completions), "every shard runs at once");
    let shard = container(&sweep_job);
    let shards: u64 = env(shard).iter().find(|(k, _)| k == "SHARDS").expect("SHARDS").1.parse().unwrap();
    assert_eq!(shards, completions, "SHARDS must equal completions, or shards are lost or repeated");
    let merge_job = manifest("merge-job.yaml");
    assert_eq!(merge_job["kind"], "Job");
    assert_ne!(merge_job["spec"]["completionMode"], "Indexed", "one merge");
    let merge = container(&merge_job);
    // Both mount the same claim where OUT lies.
    for job in [&sweep_job, &merge_job] {
        let claim = &job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"];
        assert_eq!(claim, "iomtsim-data");
        let mount = container(job)["volumeMounts"][0]["mountPath"].as_str().unwrap().to_owned();
        let out = env(container(job)).into_iter().find(|(k, _)| k == "OUT").expect("OUT").1;
        assert!(out.starts_with(&mount), "OUT {out} lies outside the shared volume at {mount}");
    }

    // Every pod of the Indexed Job, then the merge, on this machine.
    let dir = tempfile::tempdir().unwrap();
    let sweep = root().join("scenarios/sweeps/patching-and-speed.toml");
    let out = dir.path().join("study");
    let common = [
        ("IOMTSIM", env!("CARGO_BIN_EXE_iomtsim").to_owned()),
        ("OUT", out.display().to_string()),
        ("SWEEP", sweep.display().to_string()),
        ("IOMTSIM_ARGS", "--trials 20".to_owned()),
    ];
    for index in 0..completions {
        let mut set = common.to_vec();
        set.push(("JOB_COMPLETION_INDEX", index.to_string()));
        run_pod(shard, dir.path(), &set);
    }
    run_pod(merge, dir.path(), &common);

    let whole = iomtsim(dir.path(), &["sweep", sweep.to_str().unwrap(), "--trials", "20", "--out", "whole"]);
    assert!(whole.status.success(), "{}", String::from_utf8_lossy(&whole.stderr));
    for f in ["sweep.parquet", "sweep_summary.parquet"] {
        let a = std::fs::read(dir.path().join("whole").join(f)).unwrap();
        let b = std::fs::read(out.join("merged").join(f)).unwrap();
        assert!(a == b, "{f} from the pods differs from a whole run");
    }
}
