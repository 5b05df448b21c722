#!/usr/bin/env bash
# Fuzz what Confab parses from the outside (tests/fuzz: client frames, pushes the SDK applies,
# UserSigs, image headers and tiers, Range headers, local search queries) with cargo-fuzz:
# libFuzzer, AddressSanitizer, debug assertions on. Crashes are written under
# tests/fuzz/artifacts/<target>/ and fail the run.
# Usage: bash scripts/fuzz.sh                 # every target for FUZZ_SECONDS each (default 20)
#        bash scripts/fuzz.sh --runs 10000000 # every target for that many executions
#        bash scripts/fuzz.sh usersig ...     # only these targets
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

runs=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=(client_frame sdk_push usersig image_header image_tiers range_header search_query)
fi

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
# Sanitizer flags are unstable options: the machine's stable compiler takes them in bootstrap
# mode (its AddressSanitizer runtime ships with it), so no second toolchain is needed.
export RUSTC_BOOTSTRAP=1
fuzz=(cargo fuzz)
dir=tests/fuzz

echo "== fuzz: building ${#targets[@]} targets"
for t in "${targets[@]}"; do
  "${fuzz[@]}" build --fuzz-dir "$dir" "$t"
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "$dir/artifacts/$t"
  if [ -n "$runs" ]; then limit=(-runs="$runs"); else limit=(-max_total_time="${FUZZ_SECONDS:-20}"); fi
  echo "== fuzz: $t (${limit[*]})"
  # New inputs go to a scratch corpus; the committed seeds are read only.
  "${fuzz[@]}" run --fuzz-dir "$dir" "$t" "$work/$t" "$dir/seeds/$t" -- \
    "${limit[@]}" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/$t/" 2>&1 | grep -E "stat::number_of_executed_units|ERROR|panicked|SUMMARY|Done " || true
  if [ -n "$(ls -A "$dir/artifacts/$t" 2>/dev/null)" ]; then
    echo "fuzz: $t crashed; inputs in $dir/artifacts/$t" >&2
    exit 1
  fi
done
echo "== fuzz: no crashes"
