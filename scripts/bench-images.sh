#!/usr/bin/env bash
# Image-tier benchmark (issue 4): our make_tiers against libvips used in-process, same run.
# Installs what the yardstick needs (Debian's libvips and libvips-tools, pyvips from PyPI on
# top of that system libvips; Debian 12 has no python3-pyvips package), then runs
# `cargo bench -p confab-tests --bench image_tiers` and prints the table.
# Usage: bash scripts/bench-images.sh   (CONFAB_BENCH_ROUNDS / CONFAB_BENCH_ITERS to change sampling)
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need_pkgs=()
[ -n "$(ldconfig -p 2>/dev/null | grep 'libvips.so.42')" ] || need_pkgs+=(libvips42)
command -v vipsthumbnail >/dev/null 2>&1 || need_pkgs+=(libvips-tools)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_pkgs+=(python3-venv)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}"
fi

# pyvips in ABI mode over the system libvips (not pyvips-binary, which bundles another libvips).
venv=target/bench-venv
if ! "$venv/bin/python" -c 'import pyvips' >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'pyvips==3.2.0'
fi
"$venv/bin/python" -c 'import pyvips; print("pyvips", pyvips.__version__, "on libvips", pyvips.version(0), pyvips.version(1), pyvips.version(2))'

CONFAB_BENCH_PYTHON="$PWD/$venv/bin/python" cargo bench -p confab-tests --bench image_tiers
