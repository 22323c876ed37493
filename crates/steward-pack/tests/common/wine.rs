//! Building installers of the example service and placing them in the Wine prefix.

use std::path::Path;

use super::{package, project};

/// Packages the cross-built hello-service as `version` in `format` (`msi` or `nsis`; the binary
/// gets `tag` appended so versions differ; `extra` is appended to the `[package]` table, e.g. a
/// `signing` line), copies the artifact `file_suffix` names (`.msi`, `_setup.exe`) into the
/// Wine prefix and returns its Windows path.
pub fn hello_artifact(
    bench: &steward_wine_bench::WineBench,
    dir: &Path,
    version: &str,
    tag: &str,
    format: &str,
    file_suffix: &str,
    extra: &str,
) -> String {
    let exe = steward_wine_bench::fresh_windows_exe("hello-service", "hello-service")
        .expect("cross-build hello-service");
    let mut bytes = std::fs::read(&exe).unwrap();
    bytes.extend_from_slice(tag.as_bytes());
    let project_dir = dir.join(version);
    std::fs::create_dir_all(&project_dir).unwrap();
    let copy = project_dir.join("hello-service.exe");
    std::fs::write(&copy, bytes).unwrap();
    let config = project(
        &project_dir,
        &copy,
        version,
        &format!(r#"["{format}"]"#),
        extra,
    );
    package(&config, &project_dir.join("dist"));
    let file = format!("hello-service_{version}_windows_x86_64{file_suffix}");
    bench
        .copy_into_prefix(
            &project_dir.join("dist").join(&file),
            &format!(r"C:\packages\{file}"),
        )
        .unwrap()
}
