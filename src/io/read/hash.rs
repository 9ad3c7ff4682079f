//! The SHA-256 and size of an input, as `report.json` records them.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, IoOp, Result};

pub(super) fn hash_files(files: &[PathBuf], root: &Path) -> Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for f in files {
        if files.len() > 1 || f != root {
            let rel = f.strip_prefix(root).unwrap_or(f);
            hasher.update(rel.to_string_lossy().as_bytes());
        }
        let mut file = File::open(f).map_err(|e| Error::io(IoOp::Reading, f, e))?;
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| Error::io(IoOp::Reading, f, e))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            hasher.update(&buf[..n]);
        }
    }
    let digest = hasher.finalize();
    Ok((digest.iter().map(|b| format!("{b:02x}")).collect(), total))
}
