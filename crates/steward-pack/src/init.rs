//! `steward package --init`: writes a new upgrade code into the config file, keeping every
//! other byte of the file (comments, order, formatting) as it was.

use std::path::Path;

use toml_edit::{DocumentMut, Item, value};

use crate::PackError;

/// Adds `upgrade_code = "<new GUID>"` to the `[package]` table of the config at `path` (creating
/// the table if needed) and returns the GUID; an existing upgrade code is kept and returned.
pub fn init_upgrade_code(path: &Path) -> Result<String, PackError> {
    let text = std::fs::read_to_string(path).map_err(PackError::io("read", path))?;
    let init_error = |message: String| PackError::Init {
        file: path.to_path_buf(),
        message,
    };
    let mut document: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| init_error(format!("invalid TOML: {}", e.message())))?;
    let package = document
        .entry("package")
        .or_insert_with(|| Item::Table(toml_edit::Table::new()));
    let Some(table) = package.as_table_like_mut() else {
        return Err(init_error("package: expected a table [package]".into()));
    };
    if let Some(existing) = table.get("upgrade_code").and_then(Item::as_str) {
        return Ok(existing.to_owned());
    }
    let guid = uuid::Uuid::new_v4().hyphenated().to_string();
    table.insert("upgrade_code", value(guid.clone()));
    std::fs::write(path, document.to_string()).map_err(PackError::io("write", path))?;
    Ok(guid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_rest_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("steward.toml");
        let original = "# my service\n[service]\nname = \"a\"  # key name\n\n[package]\nproduct = \"A\" # shown in ARP\nversion = \"1.0.0\"\n";
        std::fs::write(&path, original).unwrap();
        let guid = init_upgrade_code(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(original), "{text}");
        assert_eq!(
            text[original.len()..],
            format!("upgrade_code = \"{guid}\"\n")
        );
        assert!(steward_config::parse_guid(&guid).is_some());
        assert_eq!(
            init_upgrade_code(&path).unwrap(),
            guid,
            "kept on a second run"
        );
    }
}
