# hub_fixture.sh — the receiving hub (hub/server.js) for the tests of upload and the hub. Source
# it after tests/cli/lib.sh and tests/pack_fixture.sh (it uses $SOHOA, $TMP, $PFX and fail):
#
#   hub_workspace DIR       a hub workspace DIR (sohoa init) whose [receive] names the receiver's
#                           key ($PFX/receiver.p12, its PIN in $HUB_PIN), trust $PFX/ca.pem and
#                           into = received; sets HUB_WS, HUB_UPLOADS and HUB_RECEIPTS
#   hub_start [PORT]        starts the hub on 127.0.0.1 (port 0: one of its choosing; give the
#                           old port to restart it where clients left it); sets HUB_PID,
#                           HUB_PORT, HUB_URL (the endpoint, …/files/) and HUB_BASE; its log is
#                           $TMP/hub.log. Extra environment for it in HUB_ENV (an array of
#                           NAME=VALUE: SOHOA_HUB_EXPIRY_SECONDS=…, TLS files…).
#   hub_stop                kill -9 of the hub (as a crash would), waited for
#
# Needs hub/node_modules (npm --prefix hub ci; scripts/install-deps.sh does) and Node.js >= 20.19.

HUB_SRC=$SOHOA_SOURCE/hub
HUB_PID=
HUB_ENV=()
[ -d "$HUB_SRC/node_modules/@tus/server" ] && [ -d "$HUB_SRC/node_modules/tus-js-client" ] ||
  fail "hub/node_modules is missing: run npm --prefix hub ci (scripts/install-deps.sh does)"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  fail "the hub (@tus/server 2) needs Node.js >= 20.19; this is $(node --version)"

_hub_set_receive() { # KEY VALUE: in [receive] of $HUB_WS/sohoa.ini
  awk -v k="$1" -v v="$2" '
    /^\[/ { if (sec && !done) { print k " = " v; done = 1 } sec = ($0 == "[receive]") }
    sec && $0 ~ "^" k "[ \t]*=" { if (!done) print k " = " v; done = 1; next }
    { print }
    END { if (sec && !done) print k " = " v }' "$HUB_WS/sohoa.ini" >"$HUB_WS/.ini" &&
    mv "$HUB_WS/.ini" "$HUB_WS/sohoa.ini"
}

hub_workspace() {
  HUB_WS=$(realpath -m "$1")
  "$SOHOA" init "$HUB_WS" --station HUB-1 --operator "Hub" -q || fail "hub fixture: init $HUB_WS"
  mkdir "$HUB_WS/keys"
  cp "$PFX/receiver.p12" "$HUB_WS/keys/"
  _hub_set_receive pkcs12 keys/receiver.p12
  _hub_set_receive pin_env HUB_PIN
  _hub_set_receive trust "$PFX/ca.pem"
  _hub_set_receive into received
  export HUB_PIN=p12-pass
  HUB_UPLOADS=$HUB_WS/hub/uploads
  HUB_RECEIPTS=$HUB_WS/received/receipts
}

hub_start() {
  local port=${1:-0} scheme=http
  : >"$TMP/hub.log"
  env SOHOA="$SOHOA" SOHOA_HUB_WORKSPACE="$HUB_WS" PORT="$port" HOST=127.0.0.1 "${HUB_ENV[@]}" \
    node "$HUB_SRC/server.js" >>"$TMP/hub.log" 2>&1 &
  HUB_PID=$!
  HUB_PORT=
  local i
  for i in $(seq 150); do
    HUB_PORT=$(sed -n 's|.*listening on https\{0,1\}://127\.0\.0\.1:\([0-9]*\)/files/.*|\1|p' "$TMP/hub.log")
    [ -n "$HUB_PORT" ] && break
    kill -0 "$HUB_PID" 2>/dev/null || fail "the hub did not start: $(cat "$TMP/hub.log")"
    sleep 0.1
  done
  [ -n "$HUB_PORT" ] || fail "the hub did not say where it listens: $(cat "$TMP/hub.log")"
  grep -q "listening on https://" "$TMP/hub.log" && scheme=https
  HUB_BASE=$scheme://127.0.0.1:$HUB_PORT
  HUB_URL=$HUB_BASE/files/
}

hub_stop() {
  [ -n "$HUB_PID" ] || return 0
  kill -9 "$HUB_PID" 2>/dev/null || true
  wait "$HUB_PID" 2>/dev/null || true
  HUB_PID=
  return 0
}
