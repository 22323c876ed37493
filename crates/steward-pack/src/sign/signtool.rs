//! The signtool backend (Windows SDK), for a Windows build host.
//!
//! signtool takes a PFX password only as `/p <password>`, on its command line, where other
//! processes and audit logs can read it. steward never does that. Instead, for the duration of
//! a packaging run:
//!
//! 1. PowerShell imports the PKCS#12 file into the current user's certificate store
//!    (`Import-PfxCertificate ... Cert:\CurrentUser\My`, key not exportable), reading the
//!    password from its **standard input**; the script itself is passed `-EncodedCommand` and
//!    holds no secret. It prints the signing certificate's thumbprint and the thumbprints it
//!    added (certificates already in the store are left alone).
//! 2. signtool signs by thumbprint: `sign /fd sha256 /sha1 <thumbprint> /s My`, with
//!    `/tr <url> /td sha256` for an RFC 3161 timestamp. The NSIS uninstaller is signed the
//!    same way from makensis' `!uninstfinalize`.
//! 3. Afterwards ([`super::Signer::finish`], or on drop) PowerShell removes every certificate
//!    it added, with its private key (`Remove-Item -DeleteKey`), also when packaging failed.
//!
//! A process killed outright between 1 and 3 leaves the (non-exportable) certificate in the
//! store; `steward package` then names nothing, so the docs say how to look for it.
//!
//! Verification is `signtool verify /pa` (the default Authenticode policy, against the Windows
//! trust store), with `/tw` when a timestamp is configured, so a missing timestamp is a warning
//! and the exit status is not 0.
//!
//! This backend has not run on a real Windows host in steward's CI (there is none): its command
//! lines and scripts are unit-tested, the rest is written against the tools' documentation.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use base64::Engine;
use steward_config::Signing;

use super::shell::Shell;
use crate::PackError;
use crate::discover::ToolEnv;
use crate::tools::{Tool, check, exec, tail};

/// Why a PEM key cannot be used with signtool.
pub(crate) const NO_PEM_KEY: &str = "signtool signs with a PKCS#12 (.pfx) file only: convert the \
     PEM pair with `openssl pkcs12 -export` and name the .pfx in `cert`, or sign with \
     osslsigncode (STEWARD_TOOLCHAIN=wixl)";

/// Why a CA file cannot be used with signtool.
pub(crate) const NO_CA_FILE: &str = "signtool verifies against the Windows certificate store and \
     cannot take a CA file: remove `verify_ca` (the certificate must chain to a trusted root), or \
     sign with osslsigncode (STEWARD_TOOLCHAIN=wixl)";

/// The certificate store the PFX is imported into.
pub const STORE: &str = r"Cert:\CurrentUser\My";

/// Signs with signtool by thumbprint; the imported certificates are removed by
/// [`Signtool::remove`] (or on drop).
#[derive(Debug)]
pub(super) struct Signtool {
    signtool: PathBuf,
    powershell: PathBuf,
    thumbprint: String,
    added: Vec<String>,
    description: String,
    timestamp_url: Option<String>,
}

impl Signtool {
    /// Finds signtool and PowerShell in `env` and imports the PFX of `signing`.
    pub(super) fn new(
        env: &ToolEnv,
        signing: &Signing,
        description: &str,
        secret: Option<String>,
    ) -> Result<Signtool, PackError> {
        let signtool = env.find(Tool::Signtool)?;
        let powershell = env.find(Tool::Powershell)?;
        let script = import_script(&signing.cert, secret.is_some());
        let args = powershell_args(&script);
        let refs: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
        let stdin = secret.map(|s| format!("{s}\n").into_bytes());
        let dir = signing.cert.parent().unwrap_or(Path::new("."));
        let output = exec(
            Tool::Powershell,
            &powershell,
            &refs,
            dir,
            &signing.cert,
            stdin.as_deref(),
        )?;
        let imported = parse_import(&output.text);
        let mut signer = Signtool {
            signtool,
            powershell,
            thumbprint: String::new(),
            added: imported.added,
            description: description.to_owned(),
            timestamp_url: signing.timestamp_url.clone(),
        };
        // On any failure from here on, dropping `signer` removes what was added.
        let text = check(Tool::Powershell, &signing.cert, output)?;
        signer.thumbprint = imported.signing.ok_or_else(|| PackError::ToolFailed {
            tool: Tool::Powershell.program(),
            target: signing.cert.clone(),
            status: "no signing certificate".into(),
            output: tail(&text),
        })?;
        Ok(signer)
    }

    /// `signtool sign` arguments without the file.
    pub(super) fn sign_args(&self) -> Vec<OsString> {
        sign_args(
            &self.thumbprint,
            &self.description,
            self.timestamp_url.as_deref(),
        )
    }

    pub(super) fn sign(&self, path: &Path) -> Result<(), PackError> {
        let mut args = self.sign_args();
        args.push(path.into());
        let refs: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
        let dir = path.parent().unwrap_or(Path::new("."));
        check(
            Tool::Signtool,
            path,
            exec(Tool::Signtool, &self.signtool, &refs, dir, path, None)?,
        )
        .map(drop)
    }

    pub(super) fn verify(&self, path: &Path) -> Result<(), PackError> {
        let mut args = verify_args(self.timestamp_url.is_some());
        args.push(path.into());
        let refs: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
        let dir = path.parent().unwrap_or(Path::new("."));
        let output = exec(Tool::Signtool, &self.signtool, &refs, dir, path, None)?;
        if output.success {
            Ok(())
        } else {
            Err(PackError::Verify {
                path: path.to_path_buf(),
                output: tail(&output.text),
            })
        }
    }

    /// The `!uninstfinalize` commands (cmd.exe): sign `%1` in place, copy it to `copy_to`.
    pub(super) fn finalize_commands(&self, copy_to: &Path) -> Result<Vec<String>, PackError> {
        finalize_commands(&self.signtool, &self.sign_args(), copy_to)
    }

    /// Removes the certificates the import added, with their keys.
    pub(super) fn remove(&mut self) -> Result<(), PackError> {
        let added = std::mem::take(&mut self.added);
        if added.is_empty() {
            return Ok(());
        }
        let args = powershell_args(&remove_script(&added));
        let refs: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
        let target = PathBuf::from(STORE);
        let dir = self.powershell.parent().unwrap_or(Path::new("."));
        let output = exec(
            Tool::Powershell,
            &self.powershell,
            &refs,
            dir,
            &target,
            None,
        )?;
        check(Tool::Powershell, &target, output).map(drop)
    }
}

impl Drop for Signtool {
    fn drop(&mut self) {
        // Best effort when `finish` was not reached; `finish` reports errors.
        let _ = self.remove();
    }
}

/// `signtool sign` arguments for the certificate `thumbprint` in `CurrentUser\My`, without the
/// file: SHA-256 file digest, description, RFC 3161 timestamp with SHA-256 when `timestamp_url`.
pub fn sign_args(
    thumbprint: &str,
    description: &str,
    timestamp_url: Option<&str>,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "sign".into(),
        "/fd".into(),
        "sha256".into(),
        "/sha1".into(),
        thumbprint.into(),
        "/s".into(),
        "My".into(),
        "/d".into(),
        description.into(),
    ];
    if let Some(url) = timestamp_url {
        args.extend(["/tr".into(), url.into(), "/td".into(), "sha256".into()]);
    }
    args
}

/// `signtool verify` arguments without the file: the default Authenticode policy (`/pa`), and
/// `/tw` (a missing timestamp is a warning, exit status 2) when `timestamped`.
pub fn verify_args(timestamped: bool) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["verify".into(), "/pa".into()];
    if timestamped {
        args.push("/tw".into());
    }
    args
}

/// The `!uninstfinalize` commands for cmd.exe: `signtool sign ... "%1"`, then a copy of the
/// signed uninstaller to `copy_to`.
pub fn finalize_commands(
    signtool: &Path,
    sign_args: &[OsString],
    copy_to: &Path,
) -> Result<Vec<String>, PackError> {
    let shell = Shell::Cmd;
    let mut words = vec![signtool.to_string_lossy().into_owned()];
    words.extend(sign_args.iter().map(|a| a.to_string_lossy().into_owned()));
    let sign = format!("{} \"%1\"", shell.join(&words)?);
    let copy = shell.copy(r#""%1""#, &shell.quote(&copy_to.to_string_lossy())?);
    Ok(vec![sign, copy])
}

/// `powershell.exe` arguments that run `script` (`-EncodedCommand`: UTF-16LE, base64, so no
/// quoting rule of any shell applies). The script holds no secret.
pub fn powershell_args(script: &str) -> Vec<OsString> {
    let utf16: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(utf16);
    vec![
        "-NoLogo".into(),
        "-NoProfile".into(),
        "-NonInteractive".into(),
        "-EncodedCommand".into(),
        encoded.into(),
    ]
}

/// A PowerShell single-quoted string literal (PowerShell also treats the typographic single
/// quotes as quotes: each is doubled like `'`).
fn ps_literal(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The PowerShell script that imports `pfx` into [`STORE`]; with `password`, it reads the
/// password from the first line of its standard input (UTF-8). Prints `ADDED <thumbprint>` for
/// each certificate that was not in the store before, then `SIGN <thumbprint>`.
pub fn import_script(pfx: &Path, password: bool) -> String {
    let read_password = if password {
        "$utf8 = New-Object System.Text.UTF8Encoding $false\n\
         $stdin = New-Object System.IO.StreamReader ([Console]::OpenStandardInput(), $utf8)\n\
         $password = ConvertTo-SecureString -String ($stdin.ReadLine()) -AsPlainText -Force\n"
    } else {
        ""
    };
    let password_arg = if password { " -Password $password" } else { "" };
    format!(
        "$ErrorActionPreference = 'Stop'\n\
         $store = {store}\n\
         $before = @(Get-ChildItem -LiteralPath $store | ForEach-Object {{ $_.Thumbprint }})\n\
         {read_password}\
         $imported = @(Import-PfxCertificate -FilePath {pfx} -CertStoreLocation $store{password_arg})\n\
         foreach ($c in $imported) {{ if ($before -notcontains $c.Thumbprint) {{ \"ADDED $($c.Thumbprint)\" }} }}\n\
         $signing = @($imported | Where-Object {{ $_.HasPrivateKey }})\n\
         if ($signing.Count -ne 1) {{ throw \"the PKCS#12 file holds $($signing.Count) certificates with a private key, expected 1\" }}\n\
         \"SIGN $($signing[0].Thumbprint)\"\n",
        store = ps_literal(STORE),
        pfx = ps_literal(&pfx.to_string_lossy()),
    )
}

/// The PowerShell script that removes the certificates `thumbprints` (40 hex digits each; any
/// other text is dropped) from [`STORE`], with their private keys.
pub fn remove_script(thumbprints: &[String]) -> String {
    let list: Vec<String> = thumbprints
        .iter()
        .filter(|t| is_thumbprint(t))
        .map(|t| ps_literal(t))
        .collect();
    format!(
        "$ErrorActionPreference = 'Stop'\n\
         foreach ($t in @({list})) {{\n\
         \x20 $path = Join-Path {store} $t\n\
         \x20 if (Test-Path -LiteralPath $path) {{\n\
         \x20   if ((Get-Item -LiteralPath $path).HasPrivateKey) {{ Remove-Item -LiteralPath $path -DeleteKey }}\n\
         \x20   else {{ Remove-Item -LiteralPath $path }}\n\
         \x20 }}\n\
         }}\n",
        list = list.join(", "),
        store = ps_literal(STORE),
    )
}

/// What the import script printed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// The thumbprint to sign with.
    pub signing: Option<String>,
    /// The thumbprints to remove afterwards.
    pub added: Vec<String>,
}

/// Reads the import script's `ADDED`/`SIGN` lines (other lines and malformed thumbprints are
/// ignored).
pub fn parse_import(text: &str) -> Imported {
    let mut imported = Imported::default();
    for line in text.lines().map(str::trim) {
        if let Some(t) = line.strip_prefix("ADDED ").filter(|t| is_thumbprint(t)) {
            imported.added.push(t.to_ascii_uppercase());
        } else if let Some(t) = line.strip_prefix("SIGN ").filter(|t| is_thumbprint(t)) {
            imported.signing = Some(t.to_ascii_uppercase());
        }
    }
    imported
}

fn is_thumbprint(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_literals_double_every_single_quote() {
        assert_eq!(ps_literal(r"C:\it's"), r"'C:\it''s'");
        assert_eq!(ps_literal("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
    }

    #[test]
    fn import_output_is_parsed_and_checked() {
        let a = "ab".repeat(20);
        let text = format!("ADDED {a}\nADDED nope\nwarning\nSIGN {a}\n");
        assert_eq!(
            parse_import(&text),
            Imported {
                signing: Some(a.to_ascii_uppercase()),
                added: vec![a.to_ascii_uppercase()],
            }
        );
        assert!(!remove_script(&["x'; Remove-Item C:\\".into()]).contains("Remove-Item C:"));
    }
}
