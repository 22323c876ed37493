//! SHA-256 digests and the `SHA256SUMS` file (`sha256sum -c` format: `<hex>  <name>`).

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::PackError;

/// The SHA-256 of a file, as 64 lowercase hex digits.
pub fn sha256_file(path: &Path) -> Result<String, PackError> {
    let mut file = std::fs::File::open(path).map_err(PackError::io("read", path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(PackError::io("read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The text of a `SHA256SUMS` file for `(name, digest)` pairs, sorted by name; binary mode
/// marker (`*`) is not used, as `sha256sum` writes on Linux.
pub fn sums_text(entries: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(name, digest)| format!("{digest}  {name}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_sorted_and_sha256sum_shaped() {
        let text = sums_text(&[("b.msi".into(), "22".into()), ("a.zip".into(), "11".into())]);
        assert_eq!(text, "11  a.zip\n22  b.msi\n");
    }
}
