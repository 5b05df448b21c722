#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine and run every test: the Rust workspace (cargo), the UI's
# unit tests (Vitest) and the end-to-end tests of the real desktop app (tauri-driver +
# WebKitWebDriver under Xvfb, against a real confab-server).
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: compilers, the WebKitGTK toolchain for the desktop shell, and what the
# real-app tests run under (Xvfb, a session bus, WebKitWebDriver).
need_pkgs=()
command -v cc >/dev/null 2>&1 || need_pkgs+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need_pkgs+=(pkg-config)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
pkg-config --exists webkit2gtk-4.1 2>/dev/null || need_pkgs+=(libwebkit2gtk-4.1-dev)
pkg-config --exists openssl 2>/dev/null || need_pkgs+=(libssl-dev)
pkg-config --exists librsvg-2.0 2>/dev/null || need_pkgs+=(librsvg2-dev)
pkg-config --exists ayatana-appindicator3-0.1 2>/dev/null || need_pkgs+=(libayatana-appindicator3-dev)
[ -e /usr/include/xdo.h ] || need_pkgs+=(libxdo-dev)
command -v Xvfb >/dev/null 2>&1 || need_pkgs+=(xvfb)
command -v xauth >/dev/null 2>&1 || need_pkgs+=(xauth)
command -v xvfb-run >/dev/null 2>&1 || need_pkgs+=(xvfb)
command -v WebKitWebDriver >/dev/null 2>&1 || need_pkgs+=(webkit2gtk-driver)
command -v dbus-run-session >/dev/null 2>&1 || need_pkgs+=(dbus-x11)
command -v dunst >/dev/null 2>&1 || need_pkgs+=(dunst)  # a notification server for the notification e2e tests
command -v node >/dev/null 2>&1 || need_pkgs+=(nodejs npm)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need_pkgs+=(fonts-noto-color-emoji)
command -v ffmpeg >/dev/null 2>&1 || need_pkgs+=(ffmpeg)
# The voice-recording e2e test: a PulseAudio server with a sine source as the microphone, and
# GStreamer's PulseAudio elements, through which WebKit captures it.
command -v pulseaudio >/dev/null 2>&1 || need_pkgs+=(pulseaudio)
command -v pactl >/dev/null 2>&1 || need_pkgs+=(pulseaudio-utils)
command -v gst-launch-1.0 >/dev/null 2>&1 || need_pkgs+=(gstreamer1.0-tools)
[ -n "$(find /usr/lib -name libgstpulseaudio.so -print -quit 2>/dev/null)" ] || need_pkgs+=(gstreamer1.0-pulseaudio)
# The drag-and-drop e2e test: a GTK3 drag source (system Python + GTK introspection) and xdotool.
command -v xdotool >/dev/null 2>&1 || need_pkgs+=(xdotool)
/usr/bin/python3 -c "import gi; gi.require_version('Gtk', '3.0')" 2>/dev/null || need_pkgs+=(python3-gi gir1.2-gtk-3.0)
# The integration suite runs a second time on PostgreSQL (a throwaway cluster on a loopback port).
[ -n "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] || need_pkgs+=(postgresql)
# Several nodes of one service: NATS between them (tests/tests/cluster*.rs).
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need_pkgs+=(nats-server)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing ${need_pkgs[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "== installing the Rust toolchain (Debian packages)"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cargo rustc
  fi
fi
export PATH="$HOME/.cargo/bin:$PATH"
# A one-off build gains nothing from incremental state, which would double the target dir
# (a clean build is about 4.5 GB without it).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
free_kb=$(df -Pk . | awk 'NR==2 {print $4}')
echo "== disk: $((free_kb / 1024)) MB free here"
if [ "$free_kb" -lt $((6 * 1024 * 1024)) ]; then
  echo "warning: a full build and test run needs about 6 GB of free disk; this may fail with 'No space left on device'" >&2
fi

echo "== Tencent's UserSig generator (compatibility tests)"
python3 -c "import TLSSigAPIv2" 2>/dev/null || python3 -m pip install --quiet tls-sig-api-v2 || {
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip && python3 -m pip install --quiet --break-system-packages tls-sig-api-v2; }

echo "== UI: dependencies"
(cd ui && npm ci --no-audit --no-fund)

# Formatting, clippy with warnings as errors, unit and architecture tests, the UI's type check
# and unit tests: the same fast check a developer runs before committing.
bash scripts/check.sh

echo "== UI: build"
(cd ui && npm run build)

# One build of everything; the desktop app is built serving ui/dist (custom-protocol), which
# is what the end-to-end tests drive.
FEATURES=(--features confab-desktop/custom-protocol)

echo "== building"
cargo build --workspace --all-targets --locked "${FEATURES[@]}"

echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast "${FEATURES[@]}"
else
  cargo test --workspace --locked --no-fail-fast "${FEATURES[@]}"
fi

# The same integration suite on the other engine: every test server gets a schema of a
# PostgreSQL cluster started here (tests/src/engines.rs), stopped after.
echo "== the integration suite on PostgreSQL"
pg_dir=$(mktemp -d)
pg_url=$(target/debug/confab-test-engines pg-start "$pg_dir")
trap 'target/debug/confab-test-engines pg-stop "$pg_dir" >/dev/null 2>&1 || true' EXIT
if cargo nextest --version >/dev/null 2>&1; then
  # The workspace with the same features as above (no rebuild), filtered to the suite.
  CONFAB_TEST_STORE=postgres CONFAB_TEST_PG="$pg_url" \
    cargo nextest run --workspace --locked --no-fail-fast "${FEATURES[@]}" -E 'package(confab-tests)'
else
  CONFAB_TEST_STORE=postgres CONFAB_TEST_PG="$pg_url" cargo test -p confab-tests --locked --no-fail-fast
fi
target/debug/confab-test-engines pg-stop "$pg_dir"
trap - EXIT
rm -rf "$pg_dir"

echo "== end-to-end tests of the desktop app"
command -v tauri-driver >/dev/null 2>&1 || cargo install tauri-driver --locked
(cd ui && xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- npm run e2e)

# Every fuzz target for a bounded time (scripts/fuzz.sh --runs N for the long form).
echo "== fuzzing"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}" bash scripts/fuzz.sh
