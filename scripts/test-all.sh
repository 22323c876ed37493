#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs every prerequisite (idempotently),
# then runs fmt, clippy (Linux and Windows targets), the Windows cross-build, and all tests —
# unit tests, Linux end-to-end tests (signals, sd_notify, a real systemd user manager) and the
# Windows end-to-end suite under Wine.
#
# Usage: scripts/test-all.sh            (as root, or with sudo available for apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."

WINDOWS_TARGET=x86_64-pc-windows-gnu
APT_PACKAGES=(
  wine wine64                 # runs the Windows binaries and their service manager
  gcc-mingw-w64-x86-64        # links the Windows target; builds the ProcessPrng shim DLL
  systemd                     # a real user manager for end-to-end tests; systemd-analyze
  util-linux                  # unshare, for the systemd bench's private mount namespace
  procps                      # ps, used by tests that check no process is left behind
  faketime                    # libfaketime: the supervisor's timing survives wall-clock jumps
  etcd-server                 # steward-registry tests and benches start their own etcd on loopback
  etcd-client                 # etcdctl: the registry tests' health checks, auth setup and raw reads
  protobuf-compiler           # protoc, for etcd-client's generated gRPC code
  nsis                        # makensis: steward package builds the NSIS setup
  wixl                        # wixl: steward package builds the MSI
  msitools                    # msiinfo: tests read the MSI's tables
  osslsigncode                # Authenticode signing and verification of exe and MSI
  openssl                     # tests make a throwaway code-signing CA; TLS certificates for etcd
)

step() { printf '\n==> %s\n' "$*"; }

need_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

step "prerequisites"
missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  need_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "Debian packages present"
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! rustup target list --installed | grep -qx "$WINDOWS_TARGET"; then
  rustup target add "$WINDOWS_TARGET"
fi

# A test run builds every crate once per target: incremental caches would only add gigabytes.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
target_dir="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target_dir"
free_kib=$(df -Pk "$target_dir" | awk 'NR==2 {print $4}')
if [ "$free_kib" -lt $((4 * 1024 * 1024)) ]; then
  echo "warning: only $((free_kib / 1024)) MiB free for $target_dir; a cold run needs about 3 GiB" >&2
fi

step "format"
cargo fmt --all -- --check

step "clippy (Linux)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy (Windows)"
cargo clippy --workspace --all-targets --locked --target "$WINDOWS_TARGET" -- -D warnings

step "build the Windows binaries"
cargo build --workspace --locked --target "$WINDOWS_TARGET"

step "tests (unit, Linux end-to-end, Windows end-to-end under Wine)"
cargo test --workspace --locked

step "all green"
