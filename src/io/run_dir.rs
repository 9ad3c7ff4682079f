//! Atomic run directories.
//!
//! A run writes every file into a hidden temporary directory beside the
//! target and renames it into place only when all files are complete. An
//! existing target is replaced only with `force`, and only after the new run
//! succeeded: the old directory is first renamed aside, then the new one into
//! place, then the old one removed. A failed or killed run leaves at most a
//! `.abm-tmp-*` directory, never a half-written target.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Files to write, by name, with their bytes.
pub type Files = Vec<(&'static str, Vec<u8>)>;

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
        fs::create_dir_all(&parent).map_err(|e| Error::io("creating output parent", &parent, e))?;
    }
    Ok(())
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Write `files` into `target` atomically. `fault_after` (tests only) fails
/// after that many files, to prove a partial run leaves nothing behind.
pub fn write_atomic(
    target: &Path,
    files: &Files,
    force: bool,
    fault_after: Option<usize>,
) -> Result<()> {
    preflight(target, force)?;
    let parent = parent_of(target);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "run".into());
    let tmp = parent.join(format!(".abm-tmp-{name}-{}", std::process::id()));
    if tmp.exists() {
        let _ = fs::remove_dir_all(&tmp);
    }
    fs::create_dir(&tmp).map_err(|e| Error::io("creating", &tmp, e))?;
    let result = (|| {
        for (i, (file, bytes)) in files.iter().enumerate() {
            if fault_after == Some(i) {
                return Err(Error::Internal(format!(
                    "injected fault before writing {file}"
                )));
            }
            let p = tmp.join(file);
            fs::write(&p, bytes).map_err(|e| Error::io("writing", &p, e))?;
        }
        // Make the file contents durable before the rename publishes them.
        for (file, _) in files {
            if let Ok(f) = fs::File::open(tmp.join(file)) {
                let _ = f.sync_all();
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if target.exists() {
        let old = parent.join(format!(".abm-old-{name}-{}", std::process::id()));
        fs::rename(target, &old).map_err(|e| Error::io("moving aside", target, e))?;
        if let Err(e) = fs::rename(&tmp, target) {
            let _ = fs::rename(&old, target);
            let _ = fs::remove_dir_all(&tmp);
            return Err(Error::io("renaming into place", target, e));
        }
        let _ = fs::remove_dir_all(&old);
    } else {
        fs::rename(&tmp, target).map_err(|e| Error::io("renaming into place", target, e))?;
    }
    Ok(())
}
