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
#   hub_tls_files [DIR]     TLS files for an HTTPS hub in DIR (default $TMP/hub-tls; sets HUB_TLS):
#                           ca.pem (a test CA), server.pem/.key (for 127.0.0.1 and localhost,
#                           by ca), client-ca.pem with client.pem/.key (a station, for mutual
#                           TLS), rogue-ca.pem with rogue-server.pem/.key (the same names, by
#                           another CA). HTTPS: HUB_ENV=(SOHOA_HUB_TLS_CERT="$HUB_TLS/server.pem"
#                           SOHOA_HUB_TLS_KEY="$HUB_TLS/server.key"), plus
#                           SOHOA_HUB_CLIENT_CA="$HUB_TLS/client-ca.pem" for mutual TLS.
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
  bash "$SOHOA_SOURCE/scripts/ini-set.sh" "$HUB_WS/sohoa.ini" receive "$1" "$2"
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

# _hub_cert DIR NAME CA EXT SUBJECT: an EC P-256 key DIR/NAME.key and certificate DIR/NAME.pem
# issued by DIR/CA (or self-signed when CA is -), valid from yesterday for 30 days.
_hub_cert() {
  local d=$1 name=$2 ca=$3 ext=$4 subj=$5
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$name.key" 2>/dev/null
  printf '%b\n' "$ext" >"$d/$name.ext"
  if [ "$ca" = - ]; then
    openssl req -new -x509 -key "$d/$name.key" -subj "$subj" -days 30 -extensions v3 \
      -config <(printf '[req]\ndistinguished_name = dn\n[dn]\n[v3]\n'; cat "$d/$name.ext") \
      -out "$d/$name.pem" 2>/dev/null
  else
    openssl req -new -key "$d/$name.key" -subj "$subj" -out "$d/$name.csr" 2>/dev/null
    openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" -CAcreateserial \
      -days 30 -extfile "$d/$name.ext" -out "$d/$name.pem" 2>/dev/null
  fi
  [ -s "$d/$name.pem" ] || fail "hub fixture: openssl made no certificate $d/$name.pem"
}

hub_tls_files() {
  HUB_TLS=${1:-$TMP/hub-tls}
  mkdir -p "$HUB_TLS"
  local ca='basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign'
  local srv='basicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1, DNS:localhost'
  local cli='basicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = clientAuth'
  _hub_cert "$HUB_TLS" ca - "$ca" "/O=sohoa tests/CN=Test Receiver CA"
  _hub_cert "$HUB_TLS" server ca "$srv" "/O=sohoa tests/CN=127.0.0.1"
  _hub_cert "$HUB_TLS" client-ca - "$ca" "/O=sohoa tests/CN=Test Stations CA"
  _hub_cert "$HUB_TLS" client client-ca "$cli" "/O=sohoa tests/CN=T-01"
  _hub_cert "$HUB_TLS" rogue-ca - "$ca" "/O=elsewhere/CN=Another CA"
  _hub_cert "$HUB_TLS" rogue-server rogue-ca "$srv" "/O=elsewhere/CN=127.0.0.1"
  chmod 600 "$HUB_TLS"/*.key
}
