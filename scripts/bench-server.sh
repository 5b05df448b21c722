#!/usr/bin/env bash
# The server load bench: confab-bench (release build) against confab-server on loopback, with
# Prosody (Debian's package, SQLite storage, mod_mam) as the baseline in the same run.
# Usage: bash scripts/bench-server.sh [--quick] [--only serial,pairs,…] [--no-prosody]
set -euo pipefail
cd "$(dirname "$0")/.."
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v prosody >/dev/null 2>&1 || need+=(prosody)
dpkg -s lua-dbi-sqlite3 >/dev/null 2>&1 || need+=(lua-dbi-sqlite3)
# The scale-out rows start their own PostgreSQL and nats-server on free loopback ports.
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
# The Debian package starts a system Prosody on 5222; the bench runs its own on a free port.
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked -p confab-bench
exec target/release/confab-bench "$@"
