//! The osslsigncode backend: PKCS#12 or PEM certificate + key, the key's password handed over
//! in a private temporary file (`-readpass`), never on the command line; optional RFC 3161
//! timestamp (`-ts`); verification against the `verify_ca` bundle, for the signature and for
//! the timestamp (`-CAfile`, `-TSA-CAfile`).

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};

use steward_config::Signing;

use super::shell::Shell;
use crate::PackError;
use crate::tools::{Tool, check, exec, tail};

/// Signs with osslsigncode. Holds the password file for its lifetime; it is deleted with it.
#[derive(Debug)]
pub(super) struct Ossl {
    program: PathBuf,
    signing: Signing,
    description: String,
    password: Option<tempfile::TempDir>,
    ca: Option<PathBuf>,
}

impl Ossl {
    pub(super) fn new(
        program: PathBuf,
        signing: &Signing,
        description: &str,
        secret: Option<String>,
        ca: Option<PathBuf>,
    ) -> Result<Ossl, PackError> {
        let password = match secret {
            None => None,
            Some(secret) => Some(write_password(&secret)?),
        };
        Ok(Ossl {
            program,
            signing: signing.clone(),
            description: description.to_owned(),
            password,
            ca,
        })
    }

    /// The arguments of `osslsigncode sign` except `-in`/`-out`: no secret among them.
    pub(super) fn sign_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["sign".into()];
        match &self.signing.key {
            None => {
                args.push("-pkcs12".into());
                args.push(self.signing.cert.clone().into());
            }
            Some(key) => {
                args.push("-certs".into());
                args.push(self.signing.cert.clone().into());
                args.push("-key".into());
                args.push(key.clone().into());
            }
        }
        if let Some(dir) = &self.password {
            args.push("-readpass".into());
            args.push(dir.path().join("password").into());
        }
        if let Some(url) = &self.signing.timestamp_url {
            args.push("-ts".into());
            args.push(url.into());
        }
        args.push("-h".into());
        args.push("sha256".into());
        args.push("-n".into());
        args.push(self.description.clone().into());
        args
    }

    /// Signs `path` in place (osslsigncode writes a new file, which then replaces it).
    pub(super) fn sign(&self, path: &Path) -> Result<(), PackError> {
        let signed = path.with_extension("signed.tmp");
        let _ = std::fs::remove_file(&signed);
        let mut args = self.sign_args();
        args.extend([
            "-in".into(),
            path.into(),
            "-out".into(),
            signed.clone().into(),
        ]);
        let refs: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let dir = path.parent().unwrap_or(Path::new("."));
        let output = exec(Tool::Osslsigncode, &self.program, &refs, dir, path, None)?;
        check(Tool::Osslsigncode, path, output)?;
        std::fs::rename(&signed, path).map_err(PackError::io("replace", path))
    }

    /// Verifies `path` against the CA bundle; with a timestamp URL configured, the signature
    /// must carry a timestamp that verifies too.
    pub(super) fn verify(&self, path: &Path) -> Result<(), PackError> {
        verify_file(
            &self.program,
            path,
            self.ca.as_deref(),
            self.signing.timestamp_url.is_some(),
        )
    }

    /// The `!uninstfinalize` commands (for `shell`) that sign the uninstaller `%1` in place,
    /// then copy it to `copy_to` for steward to verify once makensis is done.
    pub(super) fn finalize_commands(
        &self,
        shell: Shell,
        copy_to: &Path,
    ) -> Result<Vec<String>, PackError> {
        let mut words = vec![self.program.to_string_lossy().into_owned()];
        words.extend(
            self.sign_args()
                .iter()
                .map(|a| a.to_string_lossy().into_owned()),
        );
        let mut sign = shell.join(&words)?;
        sign.push_str(r#" -in "%1" -out "%1.signed""#);
        let replace = shell.move_over(r#""%1.signed""#, r#""%1""#);
        let copy = shell.copy(r#""%1""#, &shell.quote(&copy_to.to_string_lossy())?);
        Ok(vec![sign, replace, copy])
    }
}

/// What `osslsigncode verify` said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Every signature verified (`Signature verification: ok`, no `failed`).
    pub signature: bool,
    /// `Some(ok)` when the signature carries a timestamp (`Timestamp Server Signature
    /// verification: ok|failed`), `None` without one.
    pub timestamp: Option<bool>,
}

/// Reads the verdict from osslsigncode's output. It exits 0 even when a timestamp fails to
/// verify, so the lines are what counts.
pub(crate) fn verdict(text: &str) -> Verdict {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let has = |line: &str| lines.contains(&line);
    let timestamp = if has("Timestamp Server Signature verification: failed") {
        Some(false)
    } else if has("Timestamp Server Signature verification: ok") {
        Some(true)
    } else {
        None
    };
    Verdict {
        signature: has("Signature verification: ok") && !has("Signature verification: failed"),
        timestamp,
    }
}

/// Runs `osslsigncode verify` on `path` (against `ca` for signature and timestamp when given,
/// else the system bundle) and judges the output; `require_timestamp`: a signature without a
/// timestamp fails.
pub(crate) fn verify_file(
    program: &Path,
    path: &Path,
    ca: Option<&Path>,
    require_timestamp: bool,
) -> Result<(), PackError> {
    let mut args: Vec<&OsStr> = vec!["verify".as_ref()];
    if let Some(ca) = ca {
        args.extend([
            "-CAfile".as_ref(),
            ca.as_os_str(),
            "-TSA-CAfile".as_ref(),
            ca.as_os_str(),
        ]);
    }
    args.extend(["-in".as_ref(), path.as_os_str()]);
    let dir = path.parent().unwrap_or(Path::new("."));
    let output = exec(Tool::Osslsigncode, program, &args, dir, path, None)?;
    let verdict = verdict(&output.text);
    let failure = if !output.success || !verdict.signature {
        Some(tail(&output.text))
    } else if verdict.timestamp == Some(false) {
        Some(
            "the timestamp does not verify (with a timestamp_url, the verify_ca bundle must also \
             hold the timestamp authority's root certificate)"
                .to_owned(),
        )
    } else if require_timestamp && verdict.timestamp.is_none() {
        Some("the signature has no timestamp, yet a timestamp_url is configured".to_owned())
    } else {
        None
    };
    match failure {
        None => Ok(()),
        Some(output) => Err(PackError::Verify {
            path: path.to_path_buf(),
            output,
        }),
    }
}

/// Writes the password into a new private directory as a file only its owner can read (0600
/// on Unix; on Windows the directory is in the user's own `%TEMP%`, which only that user and
/// administrators can read).
fn write_password(secret: &str) -> Result<tempfile::TempDir, PackError> {
    let dir = tempfile::Builder::new()
        .prefix("steward-sign-")
        .tempdir()
        .map_err(|e| PackError::Password(format!("cannot create a private directory: {e}")))?;
    let path = dir.path().join("password");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .map_err(|e| PackError::Password(format!("cannot write {}: {e}", path.display())))?;
    file.write_all(secret.as_bytes())
        .map_err(|e| PackError::Password(format!("cannot write {}: {e}", path.display())))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_timestamp_is_seen_although_osslsigncode_succeeds() {
        // Abridged from osslsigncode 2.9 verifying a timestamped file without the TSA's root.
        let text = "Countersignatures:\n\tTimestamp time: Nov 25 17:30:43 2026 GMT\n\
                    \nTimestamp Server Signature verification: failed\n\
                    Signing certificate chain verified using:\n\
                    Signature verification: ok\n\nNumber of verified signatures: 1\nSucceeded\n";
        assert_eq!(
            verdict(text),
            Verdict {
                signature: true,
                timestamp: Some(false)
            }
        );
        let ok = text.replace("verification: failed", "verification: ok");
        assert_eq!(verdict(&ok).timestamp, Some(true));
        assert_eq!(
            verdict("Signature verification: ok\nSucceeded\n").timestamp,
            None
        );
        assert!(!verdict("Signature verification: failed\nFailed\n").signature);
    }
}
