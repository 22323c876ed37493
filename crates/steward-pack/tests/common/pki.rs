//! Throwaway PKI made with openssl for the signing tests: a code-signing CA and leaf, and a
//! timestamp authority (TSA) certificate with its own CA.

use std::path::Path;
use std::process::Command;

/// The password of the test keys (never on a command line of steward's).
pub const PASSWORD: &str = "s3cret-test-only";

/// Runs openssl in `dir`; panics with its stderr when it fails.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl not found: apt-get install openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes `ca.pem`, `leaf.pem` + `leaf.key` (encrypted with PASSWORD) and `leaf.p12` in `dir`.
pub fn test_ca(dir: &Path) {
    std::fs::write(
        dir.join("ext.cnf"),
        "[leaf]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    )
    .unwrap();
    let pass = format!("pass:{PASSWORD}");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=steward test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-keyout",
            "leaf.key",
            "-passout",
            &pass,
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=Example Corp",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-extensions",
            "leaf",
        ],
    );
    openssl(
        dir,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "leaf.key",
            "-passin",
            &pass,
            "-in",
            "leaf.pem",
            "-certfile",
            "ca.pem",
            "-out",
            "leaf.p12",
            "-passout",
            &pass,
        ],
    );
}

/// Makes a timestamp authority in `dir`: `tsaca.pem` (its root), `tsa.pem` + `tsa.key` (the
/// TSA certificate: extendedKeyUsage critical,timeStamping) and `tsa.cnf` (the `[tsa]` section
/// `openssl ts -reply` reads, with its serial file).
pub fn test_tsa(dir: &Path) {
    std::fs::write(
        dir.join("tsaext.cnf"),
        "[tsa]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\n\
         authorityKeyIdentifier=keyid\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "tsaca.key",
            "-out",
            "tsaca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=steward test TSA CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/CN=steward test TSA",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "tsaca.pem",
            "-CAkey",
            "tsaca.key",
            "-CAcreateserial",
            "-out",
            "tsa.pem",
            "-days",
            "2",
            "-extfile",
            "tsaext.cnf",
            "-extensions",
            "tsa",
        ],
    );
    std::fs::write(dir.join("tsaserial"), "01\n").unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("tsa.cnf"),
        format!(
            "[tsa]\ndefault_tsa = tsa_config\n\n[tsa_config]\nserial = {d}/tsaserial\n\
             crypto_device = builtin\nsigner_cert = {d}/tsa.pem\ncerts = {d}/tsaca.pem\n\
             signer_key = {d}/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n\
             other_policies = 1.2.3.4.5\ndigests = sha1, sha256, sha384, sha512\n\
             accuracy = secs:1\nordering = yes\ntsa_name = no\ness_cert_id_chain = no\n\
             ess_cert_id_alg = sha256\n"
        ),
    )
    .unwrap();
}

/// `leaf.p12` + `pw.txt` (holding [`PASSWORD`]) in `dir` as a `signing = { ... }` line with
/// absolute paths, verified against `verify_ca`, with `extra` keys appended (`, key = ...`).
pub fn signing_line(dir: &Path, verify_ca: &str, extra: &str) -> String {
    std::fs::write(dir.join("pw.txt"), format!("{PASSWORD}\n")).unwrap();
    format!(
        "signing = {{ cert = {:?}, password_file = {:?}, verify_ca = {:?}{extra} }}",
        dir.join("leaf.p12"),
        dir.join("pw.txt"),
        dir.join(verify_ca),
    )
}
