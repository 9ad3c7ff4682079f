//! Outputs are atomic: a run killed at any moment leaves the previous run
//! directory byte for byte as it was, and nothing half-written at the target.
//! Hidden `.abm-tmp-*` directories a killed run leaves are removed by the
//! next successful run for the same target.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use crate::util::{Discover, Workdir};

/// Every file under `dir`, by relative path.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        assert!(e.file_type().unwrap().is_file(), "{:?}", e.path());
        out.insert(
            e.file_name().to_string_lossy().to_string(),
            std::fs::read(e.path()).unwrap(),
        );
    }
    out
}

/// Names in the working directory that a run may have left, apart from the
/// inputs and the target.
fn leftovers(wd: &Workdir) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(&wd.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n != "in" && n != "run")
        .collect();
    v.sort();
    v
}

/// `discover` on the generated data into `run`, replacing it, with `seed`.
fn discover(wd: &Workdir, seed: u64) -> Discover<'_> {
    let seed = seed.to_string();
    wd.discover("in", "run").args(&["--force", "--seed", &seed])
}

fn spawn(wd: &Workdir, seed: u64, env: &[(&str, &str)]) -> Child {
    let mut cmd = discover(wd, seed).command();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn assert_only_hidden_leftovers(wd: &Workdir) {
    for name in leftovers(wd) {
        assert!(
            name.starts_with(".abm-tmp-run-") || name.starts_with(".abm-old-run-"),
            "unexpected entry left beside the target: {name}"
        );
    }
}

#[test]
fn a_run_killed_while_writing_its_files_leaves_the_previous_run_untouched() {
    let wd = Workdir::new("kill-writing");
    wd.generate("in", 3, 600, "parquet");
    discover(&wd, 1).ok();
    let before = snapshot(&wd.path("run"));

    // Stall after two files are written, then SIGKILL.
    let mut child = spawn(&wd, 2, &[("ABM_SEGMENTS_STALL_AFTER_FILES", "2")]);
    let tmp = wd.path(&format!(".abm-tmp-run-{}", child.id()));
    let deadline = Instant::now() + Duration::from_secs(120);
    while !(tmp.exists() && std::fs::read_dir(&tmp).unwrap().count() == 2) {
        assert!(
            Instant::now() < deadline,
            "the run never reached its second file"
        );
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    assert_eq!(
        snapshot(&wd.path("run")),
        before,
        "the previous run changed"
    );
    assert_eq!(
        leftovers(&wd),
        vec![tmp.file_name().unwrap().to_string_lossy().to_string()]
    );

    // The next successful run replaces the target and removes the stale temp dir.
    discover(&wd, 3).ok();
    assert_eq!(wd.read_json("run/report.json")["run"]["seed"], 3);
    assert!(leftovers(&wd).is_empty(), "{:?}", leftovers(&wd));
}

#[test]
fn a_run_killed_at_random_moments_leaves_the_previous_run_untouched() {
    let wd = Workdir::new("kill-random");
    wd.generate("in", 4, 3000, "parquet");
    let start = Instant::now();
    discover(&wd, 1).ok();
    let full = start.elapsed();
    let mut previous = snapshot(&wd.path("run"));

    let seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    println!("kill moments drawn with seed {seed}; a full run takes {full:?}");
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    for attempt in 0..3u64 {
        let at = full.mul_f64(rng.gen_range(0.0..1.1));
        let mut child = spawn(&wd, 10 + attempt, &[]);
        std::thread::sleep(at);
        let finished = child.try_wait().unwrap();
        if finished.is_none() {
            child.kill().unwrap(); // SIGKILL
        }
        let status = child.wait().unwrap();
        let now = snapshot(&wd.path("run"));
        // A run can end between `try_wait` and the kill, which then finds
        // nothing to stop: judge by how it ended, not by whether we killed.
        if status.success() {
            // It completed before the kill: the target is the new run, whole.
            let r: serde_json::Value = serde_json::from_slice(&now["report.json"]).unwrap();
            assert_eq!(r["run"]["seed"], 10 + attempt);
            assert_eq!(
                now.keys().collect::<Vec<_>>(),
                previous.keys().collect::<Vec<_>>()
            );
            previous = now;
        } else {
            // Killed: the target is exactly the previous run, or (killed after
            // the atomic swap, before exit) exactly the complete new one.
            if now != previous {
                let r: serde_json::Value = serde_json::from_slice(&now["report.json"]).unwrap();
                assert_eq!(r["run"]["seed"], 10 + attempt, "the target is neither run");
                assert_eq!(
                    now.keys().collect::<Vec<_>>(),
                    previous.keys().collect::<Vec<_>>()
                );
                previous = now;
            }
            println!("attempt {attempt}: killed after {at:?}");
        }
        assert_only_hidden_leftovers(&wd);
    }
    discover(&wd, 99).ok();
    assert!(leftovers(&wd).is_empty(), "{:?}", leftovers(&wd));
}
