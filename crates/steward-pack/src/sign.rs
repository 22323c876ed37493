//! Authenticode signing with osslsigncode: PKCS#12 or PEM certificate + key, the key's password
//! handed over in a 0600 temporary file (`-readpass`), never on the command line, optional
//! RFC 3161 timestamp; every signature verified right after signing.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};

use steward_config::{PasswordSource, Signing};

use crate::PackError;
use crate::tools::{Tool, run, run_ok, tail};

/// Signs files with one certificate. Holds the password file (0600, in a private temporary
/// directory) for its lifetime; it is deleted when the signer is dropped.
#[derive(Debug)]
pub struct Signer {
    signing: Signing,
    description: String,
    password: Option<tempfile::TempDir>,
    ca: Option<PathBuf>,
}

impl Signer {
    /// A signer for `signing`; `description` is the signed program's name (`-n`). `ca` is the
    /// CA bundle signatures are verified against (default: osslsigncode's, the system bundle).
    pub fn new(
        signing: &Signing,
        description: &str,
        ca: Option<PathBuf>,
    ) -> Result<Signer, PackError> {
        Tool::Osslsigncode.find()?;
        let secret = match &signing.password {
            PasswordSource::None => None,
            PasswordSource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    PackError::Password(format!("cannot read {}: {e}", path.display()))
                })?;
                Some(text.lines().next().unwrap_or_default().to_owned())
            }
            PasswordSource::Env(name) => Some(std::env::var(name).map_err(|_| {
                PackError::Password(format!("environment variable {name} is not set"))
            })?),
        };
        let password = match secret {
            None => None,
            Some(secret) => Some(write_password(&secret)?),
        };
        Ok(Signer {
            signing: signing.clone(),
            description: description.to_owned(),
            password,
            ca,
        })
    }

    /// The arguments of `osslsigncode sign` except `-in`/`-out`: no secret among them.
    pub fn sign_args(&self) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = vec!["sign".into()];
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

    /// Signs `path` in place, then verifies it.
    pub fn sign(&self, path: &Path) -> Result<(), PackError> {
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
        run_ok(Tool::Osslsigncode, &refs, dir, path)?;
        std::fs::rename(&signed, path).map_err(PackError::io("replace", path))?;
        self.verify(path)
    }

    /// The `!uninstfinalize` commands that sign the NSIS uninstaller (`%1`) before makensis
    /// embeds it, then verify it; NSIS strings, run by makensis through the shell.
    pub fn nsis_finalize_commands(&self) -> Result<Vec<String>, PackError> {
        let program = Tool::Osslsigncode.find()?;
        let mut sign = vec![program.to_string_lossy().into_owned()];
        sign.extend(
            self.sign_args()
                .iter()
                .map(|a| a.to_string_lossy().into_owned()),
        );
        let mut sign = sh_join(&sign);
        sign.push_str(r#" -in "%1" -out "%1.signed""#);
        let replace = r#"mv -f "%1.signed" "%1""#.to_owned();
        let mut verify = vec![program.to_string_lossy().into_owned(), "verify".into()];
        if let Some(ca) = &self.ca {
            verify.extend(["-CAfile".into(), ca.to_string_lossy().into_owned()]);
        }
        let mut verify = sh_join(&verify);
        verify.push_str(r#" -in "%1""#);
        [sign, replace, verify]
            .into_iter()
            .map(nsis_backtick)
            .collect()
    }

    /// Verifies the signature of `path` against the CA bundle.
    pub fn verify(&self, path: &Path) -> Result<(), PackError> {
        verify(path, self.ca.as_deref())
    }
}

/// Verifies the Authenticode signature of `path`, against `ca` when given.
pub fn verify(path: &Path, ca: Option<&Path>) -> Result<(), PackError> {
    let mut args: Vec<&OsStr> = vec!["verify".as_ref()];
    if let Some(ca) = ca {
        args.extend(["-CAfile".as_ref(), ca.as_os_str()]);
    }
    args.extend(["-in".as_ref(), path.as_os_str()]);
    let dir = path.parent().unwrap_or(Path::new("."));
    let output = run(Tool::Osslsigncode, &args, dir, path)?;
    if output.success && output.text.contains("Signature verification: ok") {
        Ok(())
    } else {
        Err(PackError::Verify {
            path: path.to_path_buf(),
            output: tail(&output.text),
        })
    }
}

/// Writes the password into a new private directory as a 0600 file.
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

/// Quotes each word for `sh` (single quotes) and joins them with spaces.
fn sh_join(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An NSIS backtick string holding `command` (`$` doubled); refuses a command with a backtick.
fn nsis_backtick(command: String) -> Result<String, PackError> {
    if command.contains('`') {
        return Err(PackError::Password(
            "a signing path contains a backtick, which NSIS cannot quote".into(),
        ));
    }
    Ok(format!("`{}`", command.replace('$', "$$")))
}
