//! A sweep on a real scheduler: the test starts a single-node Slurm cluster
//! of its own (Debian's slurm-wlm and munge), submits the sweep as a job
//! array with `deploy/slurm/submit.sh`, waits for the merge job, and checks
//! the merged sweep against a whole run on this machine, byte for byte.
//! Where Slurm cannot start it says so and passes, unless
//! `IOMTSIM_REQUIRE_SLURM` is set (as CI sets it), when it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{iomtsim, root};

/// Ports of the test's own cluster, away from a real one's 6817/6818.
const PORTS: (u16, u16) = (16817, 16818);

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn shell(script: &str, conf: &Path) -> std::process::Output {
    Command::new("sh").args(["-c", script]).env("SLURM_CONF", conf).output().expect("sh runs")
}

/// A cluster's daemons, stopped when dropped.
struct Cluster {
    conf: PathBuf,
    dir: PathBuf,
}

impl Cluster {
    fn start(dir: &Path) -> Result<Cluster, String> {
        let host =
            String::from_utf8_lossy(&Command::new("hostname").arg("-s").output().map_err(|e| e.to_string())?.stdout)
                .trim()
                .to_owned();
        for d in ["state", "spool", "log"] {
            std::fs::create_dir_all(dir.join(d)).map_err(|e| e.to_string())?;
        }
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let d = dir.display();
        let conf = dir.join("slurm.conf");
        std::fs::write(
            &conf,
            format!(
                "ClusterName=iomtsimtest\nSlurmctldHost={host}\nSlurmUser=root\nSlurmdUser=root\n\
                 AuthType=auth/munge\nCryptoType=crypto/munge\nMpiDefault=none\nProctrackType=proctrack/linuxproc\n\
                 TaskPlugin=task/none\nSelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\nReturnToService=2\n\
                 StateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool\nSlurmctldPidFile={d}/slurmctld.pid\n\
                 SlurmdPidFile={d}/slurmd.pid\nSlurmctldLogFile={d}/log/slurmctld.log\nSlurmdLogFile={d}/log/slurmd.log\n\
                 SlurmctldPort={}\nSlurmdPort={}\nJobCompType=jobcomp/none\nAccountingStorageType=accounting_storage/none\n\
                 JobAcctGatherType=jobacct_gather/none\nNodeName={host} CPUs={cpus} State=UNKNOWN\n\
                 PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
                PORTS.0, PORTS.1
            ),
        )
        .map_err(|e| e.to_string())?;
        // Munge authenticates Slurm's messages: start it unless it runs.
        if !shell("munge -n | unmunge >/dev/null 2>&1", &conf).status.success() {
            let started =
                shell("mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null; munged --force", &conf);
            if !started.status.success() || !shell("munge -n | unmunge >/dev/null 2>&1", &conf).status.success() {
                return Err(format!("munged did not start: {}", String::from_utf8_lossy(&started.stderr)));
            }
        }
        let cluster = Cluster { conf: conf.clone(), dir: dir.to_owned() };
        for daemon in ["slurmctld", "slurmd"] {
            let out = shell(&format!("{daemon} -f \"$SLURM_CONF\""), &conf);
            if !out.status.success() {
                return Err(format!("{daemon} did not start: {}", String::from_utf8_lossy(&out.stderr)));
            }
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            let state = shell("sinfo -h -o %T", &conf);
            if String::from_utf8_lossy(&state.stdout).contains("idle") {
                return Ok(cluster);
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        Err(format!("the node never became idle:\n{}", cluster.logs()))
    }

    fn logs(&self) -> String {
        ["slurmctld.log", "slurmd.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.join("log").join(f)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for pid in ["slurmd.pid", "slurmctld.pid"] {
            if let Ok(p) = std::fs::read_to_string(self.dir.join(pid)) {
                let _ = Command::new("kill").arg(p.trim()).status();
            }
        }
        let _ = &self.conf;
    }
}

#[test]
fn a_sweep_runs_as_a_slurm_job_array_and_merges_into_a_whole_runs_files() {
    let required = std::env::var_os("IOMTSIM_REQUIRE_SLURM").is_some();
    let skip = |why: String| {
        assert!(!required, "IOMTSIM_REQUIRE_SLURM is set but {why}");
        eprintln!("skipped: {why}");
    };
    for cmd in ["slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "munged", "munge", "unmunge"] {
        if !have(cmd) {
            return skip(format!("`{cmd}` is not installed (Debian: slurm-wlm and munge)"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let cluster = match Cluster::start(&dir.path().join("cluster")) {
        Ok(c) => c,
        Err(why) => return skip(format!("Slurm could not start here: {why}")),
    };
    let sweep = root().join("scenarios/sweeps/patching-and-speed.toml");
    let out = dir.path().join("study");
    let submit = Command::new(root().join("deploy/slurm/submit.sh"))
        .args([sweep.to_str().unwrap(), out.to_str().unwrap(), "3"])
        .env("SLURM_CONF", &cluster.conf)
        .env("IOMTSIM", env!("CARGO_BIN_EXE_iomtsim"))
        .env("IOMTSIM_ARGS", "--trials 20")
        .output()
        .unwrap();
    assert!(submit.status.success(), "{}", String::from_utf8_lossy(&submit.stderr));
    let merged = out.join("merged");
    let start = Instant::now();
    loop {
        let queue = shell("squeue -h", &cluster.conf);
        if merged.join("sweep_summary.csv").exists() && queue.stdout.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the jobs did not finish:\n{}\n{}",
            String::from_utf8_lossy(&queue.stdout),
            cluster.logs()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // The same sweep run whole on this machine.
    let whole = iomtsim(dir.path(), &["sweep", sweep.to_str().unwrap(), "--trials", "20", "--out", "whole"]);
    assert!(whole.status.success(), "{}", String::from_utf8_lossy(&whole.stderr));
    for f in ["sweep.parquet", "sweep_summary.parquet"] {
        let a = std::fs::read(dir.path().join("whole").join(f)).unwrap();
        let b = std::fs::read(merged.join(f)).unwrap();
        assert!(a == b, "{f} from the cluster differs from a whole run");
    }
}
