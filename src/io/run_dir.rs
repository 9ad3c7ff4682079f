//! Atomic run directories.
//!
//! A run writes every file into a hidden temporary directory beside the
//! target (`.abm-tmp-<name>-<pid>`), syncs it, and renames it into place only
//! when all files are complete. An existing target is replaced only with
//! `force`, and only after the new run succeeded: on Linux the two
//! directories are swapped in one atomic `renameat2(RENAME_EXCHANGE)`, so
//! there is no moment at which the target is missing; elsewhere the old
//! directory is renamed aside first. The old run is removed last.
//!
//! A killed run can leave only hidden `.abm-tmp-*` or `.abm-old-*`
//! directories, never a half-written target; the next successful run for the
//! same target removes those whose process is gone.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoOp, Result};

/// Files to write, by name, with their bytes.
pub type Files = Vec<(&'static str, Vec<u8>)>;

/// Faults injected by tests, to prove that a partial run leaves nothing
/// behind (`ABM_SEGMENTS_FAULT_AFTER_FILES=N`) and that a run killed while
/// writing leaves the previous output intact (`ABM_SEGMENTS_STALL_AFTER_FILES=N`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fault {
    /// Fail with an internal error after writing this many files.
    pub fail_after: Option<usize>,
    /// Sleep for a minute after writing this many files, so that a test can kill the run.
    pub stall_after: Option<usize>,
}

impl Fault {
    /// Read the test hooks from the environment.
    pub fn from_env() -> Fault {
        let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
        Fault {
            fail_after: var("ABM_SEGMENTS_FAULT_AFTER_FILES"),
            stall_after: var("ABM_SEGMENTS_STALL_AFTER_FILES"),
        }
    }
}

/// Checks that can fail before the long work starts (hyperfine's "fail early").
pub fn preflight(target: &Path, force: bool) -> Result<()> {
    if target.exists() && !force {
        return Err(Error::config(
            format!("output directory {} already exists", target.display()),
            "pass --force to replace it (only after the new run succeeds), or choose another --out",
        ));
    }
    let parent = parent_of(target);
    if !parent.exists() {
        fs::create_dir_all(&parent)
            .map_err(|e| Error::io(IoOp::CreatingOutputParent, &parent, e))?;
    }
    Ok(())
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn target_name(target: &Path) -> String {
    target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "run".into())
}

/// Write `files` into `target` atomically.
pub fn write_atomic(target: &Path, files: &Files, force: bool, fault: Fault) -> Result<()> {
    Staging::begin(target, force)?.publish(files, fault)
}

/// A run directory being written: the hidden temporary directory beside the
/// target, which files can be written into as they are made. Dropped
/// without [`Staging::publish`] (an error on the way), it is removed.
pub struct Staging {
    target: PathBuf,
    tmp: PathBuf,
    /// The files written into it so far.
    written: Vec<&'static str>,
    /// Whether `publish` has taken it over.
    published: bool,
}

impl Staging {
    /// Start writing `target`: [`preflight`], then an empty temporary
    /// directory beside it.
    pub fn begin(target: &Path, force: bool) -> Result<Staging> {
        preflight(target, force)?;
        let parent = parent_of(target);
        let name = target_name(target);
        let tmp = parent.join(format!(".abm-tmp-{name}-{}", std::process::id()));
        if tmp.exists() {
            let _ = fs::remove_dir_all(&tmp);
        }
        fs::create_dir(&tmp).map_err(|e| Error::io(IoOp::Creating, &tmp, e))?;
        Ok(Staging {
            target: target.to_path_buf(),
            tmp,
            written: Vec::new(),
            published: false,
        })
    }

    /// Where `file` is written before the run is published.
    pub fn path(&self, file: &str) -> PathBuf {
        self.tmp.join(file)
    }

    /// A new file of the run, to write into now; it is made durable and
    /// published with the rest.
    pub fn create(&mut self, file: &'static str) -> Result<fs::File> {
        let p = self.path(file);
        let f = fs::File::create(&p).map_err(|e| Error::io(IoOp::Writing, &p, e))?;
        self.written.push(file);
        Ok(f)
    }

    /// Write `files` beside those already written, make every file durable,
    /// and rename the directory into place (replacing the target only when
    /// `begin` was given `force`). `fault` counts the files already written.
    pub fn publish(mut self, files: &Files, fault: Fault) -> Result<()> {
        for (file, bytes) in files {
            let i = self.written.len();
            if fault.fail_after == Some(i) {
                return Err(Error::Internal(format!(
                    "injected fault before writing {file}"
                )));
            }
            if fault.stall_after == Some(i) {
                std::thread::sleep(std::time::Duration::from_secs(60));
            }
            let p = self.path(file);
            fs::write(&p, bytes).map_err(|e| Error::io(IoOp::Writing, &p, e))?;
            self.written.push(file);
        }
        // Make the file contents durable before the rename publishes them.
        for file in &self.written {
            if let Ok(f) = fs::File::open(self.tmp.join(file)) {
                let _ = f.sync_all();
            }
        }
        sync_dir(&self.tmp);
        self.published = true;
        rename_into_place(&self.tmp, &self.target)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Move the complete run `tmp` to `target`, replacing a previous run there
/// (see the module's docs), then remove stale directories of killed runs.
fn rename_into_place(tmp: &Path, target: &Path) -> Result<()> {
    let parent = parent_of(target);
    let name = target_name(target);
    if target.exists() {
        if exchange(tmp, target).is_ok() {
            // `tmp` now holds the previous run.
            sync_dir(&parent);
            let _ = fs::remove_dir_all(tmp);
        } else {
            let old = parent.join(format!(".abm-old-{name}-{}", std::process::id()));
            fs::rename(target, &old).map_err(|e| Error::io(IoOp::MovingAside, target, e))?;
            if let Err(e) = fs::rename(tmp, target) {
                let _ = fs::rename(&old, target);
                let _ = fs::remove_dir_all(tmp);
                return Err(Error::io(IoOp::RenamingIntoPlace, target, e));
            }
            sync_dir(&parent);
            let _ = fs::remove_dir_all(&old);
        }
    } else {
        fs::rename(tmp, target).map_err(|e| Error::io(IoOp::RenamingIntoPlace, target, e))?;
        sync_dir(&parent);
    }
    remove_stale(&parent, &name);
    Ok(())
}

/// Make a directory's entries (new files, renames) durable.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Swap two paths atomically (Linux `renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both pointers are valid NUL-terminated strings for the duration
    // of the call; AT_FDCWD resolves them like rename(2) does.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Whether the process that made a `.abm-tmp-*-<pid>` directory may still run.
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true // cannot tell: keep it
    }
}

/// Remove `.abm-tmp-<name>-<pid>` and `.abm-old-<name>-<pid>` directories left
/// by killed runs for the same target.
fn remove_stale(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = file_name
            .strip_prefix(".abm-tmp-")
            .or_else(|| file_name.strip_prefix(".abm-old-"))
        else {
            continue;
        };
        let Some(pid) = rest
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix('-'))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !alive(pid) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("abm-run-dir-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn forced_replacement_swaps_the_whole_directory() {
        let d = scratch("swap");
        let target = d.join("run");
        write_atomic(
            &target,
            &vec![("a.txt", b"old".to_vec())],
            false,
            Fault::default(),
        )
        .unwrap();
        write_atomic(
            &target,
            &vec![("b.txt", b"new".to_vec())],
            true,
            Fault::default(),
        )
        .unwrap();
        assert!(!target.join("a.txt").exists());
        assert_eq!(fs::read(target.join("b.txt")).unwrap(), b"new");
        let names: Vec<String> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, vec!["run".to_string()]);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn stale_temporary_directories_of_dead_runs_are_removed() {
        let d = scratch("stale");
        // No process has pid 4194304 + 1 (above Linux's pid_max).
        let dead = d.join(".abm-tmp-run-4194305");
        let other_target = d.join(".abm-tmp-other-4194305");
        let unrelated = d.join(".abm-tmp-runner-4194305");
        for p in [&dead, &other_target, &unrelated] {
            fs::create_dir_all(p).unwrap();
        }
        write_atomic(
            &d.join("run"),
            &vec![("a.txt", vec![1])],
            false,
            Fault::default(),
        )
        .unwrap();
        assert!(!dead.exists());
        assert!(other_target.exists());
        assert!(unrelated.exists());
        let _ = fs::remove_dir_all(&d);
    }

    /// A file written into the staged run before the rest is published with
    /// them, and counts among the files a fault waits for; a run dropped on
    /// an error leaves neither its files nor its directory, and the previous
    /// run stays as it was.
    #[test]
    fn a_staged_file_is_published_with_the_rest_or_removed_with_them() {
        use std::io::Write;
        let d = scratch("staged");
        let target = d.join("run");
        let mut staging = Staging::begin(&target, false).unwrap();
        staging
            .create("big.bin")
            .unwrap()
            .write_all(b"streamed")
            .unwrap();
        staging
            .publish(&vec![("a.txt", b"a".to_vec())], Fault::default())
            .unwrap();
        assert_eq!(fs::read(target.join("big.bin")).unwrap(), b"streamed");
        assert_eq!(fs::read(target.join("a.txt")).unwrap(), b"a");

        let files = vec![("a.txt", b"new".to_vec()), ("b.txt", b"b".to_vec())];
        let fail_at_b = Fault {
            fail_after: Some(2),
            ..Fault::default()
        };
        let mut staging = Staging::begin(&target, true).unwrap();
        let tmp = staging.path("");
        staging
            .create("big.bin")
            .unwrap()
            .write_all(b"other")
            .unwrap();
        let err = staging.publish(&files, fail_at_b).unwrap_err();
        assert!(err.to_string().contains("before writing b.txt"), "{err}");
        assert!(!tmp.exists());

        let mut staging = Staging::begin(&target, true).unwrap();
        staging.create("big.bin").unwrap();
        drop(staging);
        assert!(!tmp.exists());
        assert_eq!(fs::read(target.join("big.bin")).unwrap(), b"streamed");
        assert_eq!(fs::read(target.join("a.txt")).unwrap(), b"a");
        let _ = fs::remove_dir_all(&d);
    }
}
