//! Registry values as wine-probe's `regquery` prints them.

use serde::Deserialize;

/// One registry value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RegValue {
    /// `REG_DWORD` or `REG_QWORD`.
    Number(u64),
    /// `REG_SZ` or `REG_EXPAND_SZ` (not expanded).
    String(String),
    /// `REG_MULTI_SZ`.
    Multi(Vec<String>),
    /// Any other type, as hex bytes.
    Other {
        /// The `REG_*` type number.
        r#type: u32,
        /// The data, two lowercase hex digits per byte.
        hex: String,
    },
}

impl RegValue {
    /// The string, for `REG_SZ`/`REG_EXPAND_SZ` values.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            RegValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, for `REG_DWORD`/`REG_QWORD` values.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            RegValue::Number(n) => Some(*n),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn parses_every_kind() {
        let json = r#"{"ImagePath":"\"C:\\x.exe\"","Start":3,"DependOnService":["a","b"],"Bin":{"type":3,"hex":"00ff"}}"#;
        let m: BTreeMap<String, RegValue> = serde_json::from_str(json).expect("valid");
        assert_eq!(m["ImagePath"].as_str(), Some(r#""C:\x.exe""#));
        assert_eq!(m["Start"].as_u64(), Some(3));
        assert_eq!(
            m["DependOnService"],
            RegValue::Multi(vec!["a".into(), "b".into()])
        );
        assert!(matches!(m["Bin"], RegValue::Other { r#type: 3, .. }));
    }
}
