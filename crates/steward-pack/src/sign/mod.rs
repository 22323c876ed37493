//! Authenticode signing, verified right after every signature, with one of two backends:
//!
//! - **osslsigncode** (Linux, or any host that has it): PKCS#12 or PEM certificate + key, the
//!   key's password handed over in a 0600 temporary file (`-readpass`), optional RFC 3161
//!   timestamp (`-ts`); verification against `verify_ca` for the signature *and* the timestamp
//!   (osslsigncode itself exits 0 when only the timestamp fails, so its output is read).
//! - **signtool** (Windows SDK): see [`signtool`]: the PFX is imported into the user's
//!   certificate store for the run (password on PowerShell's standard input), signing is by
//!   thumbprint, and the certificates are removed afterwards.
//!
//! The key's password never appears on a command line with either.

mod osslsigncode;
mod shell;
pub mod signtool;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use steward_config::{PasswordSource, Signing};

pub use self::shell::Shell;
use crate::discover::{Host, ToolEnv};
use crate::toolchain::SignTool;
use crate::{PackError, Tool};

/// Signs files with one certificate; see the module docs. Call [`Signer::finish`] when done
/// (dropping it cleans up too, ignoring errors).
#[derive(Debug)]
pub struct Signer {
    backend: Backend,
    host: Host,
}

#[derive(Debug)]
enum Backend {
    Ossl(osslsigncode::Ossl),
    Signtool(signtool::Signtool),
}

impl Signer {
    /// An osslsigncode signer for `signing`, found in this process's environment;
    /// `description` is the signed program's name. `ca` is the CA bundle signatures and
    /// timestamps are verified against (default: osslsigncode's, the system bundle).
    pub fn new(
        signing: &Signing,
        description: &str,
        ca: Option<PathBuf>,
    ) -> Result<Signer, PackError> {
        Signer::with_tool(
            SignTool::Osslsigncode,
            signing,
            description,
            ca,
            &ToolEnv::from_process(),
        )
    }

    /// A signer using `tool`, found in `env`. With signtool, this imports the PFX into the
    /// user's certificate store (removed again by [`Signer::finish`] or drop); a PEM key or a
    /// `ca` is refused there ([`PackError::Unsupported`]), as the plan does.
    pub fn with_tool(
        tool: SignTool,
        signing: &Signing,
        description: &str,
        ca: Option<PathBuf>,
        env: &ToolEnv,
    ) -> Result<Signer, PackError> {
        let backend = match tool {
            SignTool::Osslsigncode => {
                let program = env.find(Tool::Osslsigncode)?;
                let secret = read_password(&signing.password)?;
                Backend::Ossl(osslsigncode::Ossl::new(
                    program,
                    signing,
                    description,
                    secret,
                    ca,
                )?)
            }
            SignTool::Signtool => {
                let unsupported = |key, message| PackError::Unsupported {
                    file: signing.cert.clone(),
                    key,
                    message,
                };
                if signing.key.is_some() {
                    return Err(unsupported("package.signing.key", signtool::NO_PEM_KEY));
                }
                if ca.is_some() {
                    return Err(unsupported(
                        "package.signing.verify_ca",
                        signtool::NO_CA_FILE,
                    ));
                }
                // Find the tools before the password is read: a missing tool is the clearer error.
                env.find(Tool::Signtool)?;
                env.find(Tool::Powershell)?;
                let secret = read_password(&signing.password)?;
                Backend::Signtool(signtool::Signtool::new(env, signing, description, secret)?)
            }
        };
        Ok(Signer {
            backend,
            host: env.host,
        })
    }

    /// Which tool signs.
    pub fn tool(&self) -> SignTool {
        match &self.backend {
            Backend::Ossl(_) => SignTool::Osslsigncode,
            Backend::Signtool(_) => SignTool::Signtool,
        }
    }

    /// The arguments of the signing command without the file(s): no secret among them.
    pub fn sign_args(&self) -> Vec<OsString> {
        match &self.backend {
            Backend::Ossl(b) => b.sign_args(),
            Backend::Signtool(b) => b.sign_args(),
        }
    }

    /// Signs `path` in place, then verifies it.
    pub fn sign(&self, path: &Path) -> Result<(), PackError> {
        match &self.backend {
            Backend::Ossl(b) => b.sign(path)?,
            Backend::Signtool(b) => b.sign(path)?,
        }
        self.verify(path)
    }

    /// Verifies the signature of `path` (and its timestamp, which is required when a
    /// timestamp URL is configured).
    pub fn verify(&self, path: &Path) -> Result<(), PackError> {
        match &self.backend {
            Backend::Ossl(b) => b.verify(path),
            Backend::Signtool(b) => b.verify(path),
        }
    }

    /// The `!uninstfinalize` commands that sign the NSIS uninstaller (`%1`) before makensis
    /// embeds it, then copy the signed uninstaller to `copy_to`, so that it can be verified
    /// with [`Signer::verify`] once makensis is done: NSIS backtick strings, which makensis runs
    /// through the host's shell.
    pub fn nsis_finalize_commands(&self, copy_to: &Path) -> Result<Vec<String>, PackError> {
        let commands = match &self.backend {
            Backend::Ossl(b) => b.finalize_commands(Shell::for_host(self.host), copy_to)?,
            Backend::Signtool(b) => b.finalize_commands(copy_to)?,
        };
        commands.into_iter().map(nsis_backtick).collect()
    }

    /// Ends signing: deletes the password file (osslsigncode) or removes the imported
    /// certificates and keys from the store (signtool), reporting a failure to do so.
    pub fn finish(self) -> Result<(), PackError> {
        match self.backend {
            Backend::Ossl(b) => {
                drop(b);
                Ok(())
            }
            Backend::Signtool(mut b) => b.remove(),
        }
    }
}

/// Verifies the Authenticode signature of `path` with osslsigncode, against `ca` when given
/// (for the signature and for a timestamp, `-CAfile` and `-TSA-CAfile`). A timestamp, when the
/// signature carries one, must verify too.
pub fn verify(path: &Path, ca: Option<&Path>) -> Result<(), PackError> {
    osslsigncode::verify_file(&Tool::Osslsigncode.find()?, path, ca, false)
}

/// Verifies like [`verify`] and requires a timestamp that verifies.
pub fn verify_timestamped(path: &Path, ca: Option<&Path>) -> Result<(), PackError> {
    osslsigncode::verify_file(&Tool::Osslsigncode.find()?, path, ca, true)
}

/// The key's password from where the config says, or `None` for an unencrypted key.
fn read_password(source: &PasswordSource) -> Result<Option<String>, PackError> {
    match source {
        PasswordSource::None => Ok(None),
        PasswordSource::File(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| PackError::Password(format!("cannot read {}: {e}", path.display())))?;
            Ok(Some(text.lines().next().unwrap_or_default().to_owned()))
        }
        PasswordSource::Env(name) => std::env::var(name)
            .map(Some)
            .map_err(|_| PackError::Password(format!("environment variable {name} is not set"))),
    }
}

/// An NSIS backtick string holding `command` (`$` doubled); refuses a command with a backtick.
fn nsis_backtick(command: String) -> Result<String, PackError> {
    if command.contains('`') {
        return Err(PackError::Quote {
            text: command,
            shell: "an NSIS backtick string",
        });
    }
    Ok(format!("`{}`", command.replace('$', "$$")))
}
