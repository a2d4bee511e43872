#!/usr/bin/env bash
# Runs Paperboy's whole test suite. Dependencies are fetched first; the tests themselves then
# run offline, inside a network namespace that has only a loopback interface when the machine
# allows one (Linux, as root), so no test can reach any host but 127.0.0.0/8.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is not installed; install Rust from https://rustup.rs first" >&2
    exit 1
fi

cargo fetch --locked
cargo build --locked --offline --all-targets

run_tests() {
    cargo test --locked --offline --all-targets -- "$@"
}

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 \
    && unshare -n true 2>/dev/null; then
    echo "running the tests in a network namespace with loopback only"
    export -f run_tests
    unshare -n bash -c 'ip link set lo up && run_tests "$@"' bash "$@"
else
    echo "no network namespace available; running the tests on the host network"
    run_tests "$@"
fi
