#!/usr/bin/env bash
# Start-up and memory benchmark of the real desktop app: time from launch to the conversation
# list with 1,000 conversations and a 100,000-message history, and resident memory (app +
# WebKit processes) after scrolling through 10,000 messages of one conversation; targets
# < 1 s and < 300 MB, each against a same-run baseline (one conversation, one message).
# Installs what it needs on a fresh Debian/Ubuntu machine, like scripts/test.sh.
# Usage: bash scripts/bench-desktop.sh            (debug build)
#        BENCH_PROFILE=release bash scripts/bench-desktop.sh
# Knobs: BENCH_RUNS (3), BENCH_CONVS (1000), BENCH_MESSAGES (100000), BENCH_BIG (10000),
#        BENCH_SCROLL (10000), BENCH_SETTLE_MS (10000: memory is read this long after the scroll).
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
need_pkgs=()
command -v cc >/dev/null 2>&1 || need_pkgs+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need_pkgs+=(pkg-config)
pkg-config --exists webkit2gtk-4.1 2>/dev/null || need_pkgs+=(libwebkit2gtk-4.1-dev)
pkg-config --exists openssl 2>/dev/null || need_pkgs+=(libssl-dev)
pkg-config --exists librsvg-2.0 2>/dev/null || need_pkgs+=(librsvg2-dev)
pkg-config --exists ayatana-appindicator3-0.1 2>/dev/null || need_pkgs+=(libayatana-appindicator3-dev)
[ -e /usr/include/xdo.h ] || need_pkgs+=(libxdo-dev)
command -v xvfb-run >/dev/null 2>&1 || need_pkgs+=(xvfb xauth)
command -v WebKitWebDriver >/dev/null 2>&1 || need_pkgs+=(webkit2gtk-driver)
command -v dbus-run-session >/dev/null 2>&1 || need_pkgs+=(dbus-x11)
command -v node >/dev/null 2>&1 || need_pkgs+=(nodejs npm)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing ${need_pkgs[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}"
fi
export PATH="$HOME/.cargo/bin:$PATH"
command -v tauri-driver >/dev/null 2>&1 || cargo install tauri-driver --locked

profile=${BENCH_PROFILE:-debug}
cargo_profile=()
[ "$profile" = release ] && cargo_profile=(--release)

echo "== building the UI and the app ($profile)"
(cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build)
cargo build "${cargo_profile[@]}" --locked -p confab-desktop --features confab-desktop/custom-protocol \
  -p confab-server -p confab-tests --bin confab-desktop --bin confab-server --bin bench_seed

echo "== benchmark"
export CONFAB_BIN_DIR="$PWD/target/$profile"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- node scripts/bench-desktop.mjs
