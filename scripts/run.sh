#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine, start a Confab server with embedded defaults, show two
# headless clients chatting through it, then open the Confab desktop app (sign up there with
# the server address it prints). The server keeps running until Ctrl-C.
# Usage: bash scripts/run.sh            (CONFAB_NO_DESKTOP=1 skips the desktop app)
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
need_pkgs=()
command -v cc >/dev/null 2>&1 || need_pkgs+=(build-essential)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
command -v pkg-config >/dev/null 2>&1 || need_pkgs+=(pkg-config)
if [ -z "${CONFAB_NO_DESKTOP:-}" ]; then
  pkg-config --exists webkit2gtk-4.1 2>/dev/null || need_pkgs+=(libwebkit2gtk-4.1-dev)
  pkg-config --exists openssl 2>/dev/null || need_pkgs+=(libssl-dev)
  pkg-config --exists librsvg-2.0 2>/dev/null || need_pkgs+=(librsvg2-dev)
  pkg-config --exists ayatana-appindicator3-0.1 2>/dev/null || need_pkgs+=(libayatana-appindicator3-dev)
  [ -e /usr/include/xdo.h ] || need_pkgs+=(libxdo-dev)
  command -v node >/dev/null 2>&1 || need_pkgs+=(nodejs npm)
  [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need_pkgs+=(fonts-noto-color-emoji)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cargo rustc
fi

if [ -z "${CONFAB_NO_DESKTOP:-}" ]; then
  echo "== building the UI and the desktop app"
  (cd ui && npm ci --no-audit --no-fund && npm run build)
  cargo build --release --locked -p confab-desktop --features custom-protocol
fi
cargo build --release --locked -p confab-server -p confab-cli
BIN=target/release
DATA="${CONFAB_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/confab-server}"
LISTEN="${CONFAB_LISTEN:-127.0.0.1:9780}"

"$BIN/confab-server" --listen "$LISTEN" --data-dir "$DATA" > /tmp/confab-server.out &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "listening on" /tmp/confab-server.out 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' /tmp/confab-server.out | head -1)
echo "Confab server: $URL (data in $DATA)"

APP=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['sdk_app_id'])" "$DATA/app.json")
SIG_A=$("$BIN/confab-server" usersig --data-dir "$DATA" --user alice)
SIG_B=$("$BIN/confab-server" usersig --data-dir "$DATA" --user bob)
DEMO=$(mktemp -d)

echo "== demo: bob listens, alice says hello, bob answers"
{
  echo "{\"id\":1,\"api\":\"TIMInit\",\"params\":{\"sdk_app_id\":$APP}}"
  echo "{\"id\":2,\"api\":\"TIMLogin\",\"params\":{\"user_id\":\"bob\",\"user_sig\":\"$SIG_B\"}}"
  sleep 2
  echo '{"id":3,"api":"TIMMsgSendMessage","params":{"conv_id":"alice","conv_type":1,"json_msg_param":{"message_elem_array":[{"elem_type":0,"text_elem_content":"Hi Alice! Bob here."}]}}}'
  sleep 2
} | "$BIN/confab-cli" --server "$URL" --data-dir "$DEMO/bob" > "$DEMO/bob.out" &
BOB_PID=$!
sleep 1
{
  echo "{\"id\":1,\"api\":\"TIMInit\",\"params\":{\"sdk_app_id\":$APP}}"
  echo "{\"id\":2,\"api\":\"TIMLogin\",\"params\":{\"user_id\":\"alice\",\"user_sig\":\"$SIG_A\"}}"
  echo '{"id":3,"api":"TIMMsgSendMessage","params":{"conv_id":"bob","conv_type":1,"json_msg_param":{"message_elem_array":[{"elem_type":0,"text_elem_content":"Hello Bob, this is Confab."}]}}}'
  sleep 3
} | "$BIN/confab-cli" --server "$URL" --data-dir "$DEMO/alice" > "$DEMO/alice.out"
wait "$BOB_PID"
show() {
  python3 - "$1" "$2" <<'PY'
import json, sys
who, path = sys.argv[1], sys.argv[2]
for line in open(path):
    v = json.loads(line)
    if v.get("event") == "TIMRecvNewMsgCallback":
        for m in v["json"]:
            for e in m["message_elem_array"]:
                if e.get("elem_type") == 0:
                    print(f"  {who} received from {m['message_sender']}: {e['text_elem_content']}")
PY
}
show bob "$DEMO/bob.out"
show alice "$DEMO/alice.out"
if [ -z "${CONFAB_NO_DESKTOP:-}" ]; then
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "== starting the desktop app: sign up with server address $URL"
    "$BIN/confab-desktop" &
    APP_PID=$!
    trap 'kill $SERVER_PID $APP_PID 2>/dev/null || true' EXIT
  else
    echo "No display: start the app later with $BIN/confab-desktop (server address $URL)"
  fi
fi
echo "The server keeps running at $URL; press Ctrl-C to stop it."
wait $SERVER_PID
