# pack_fixture.sh — signed workspaces for the pack and receive tests. Source it after
# tests/cli/lib.sh (it uses $SOHOA, $TMP, $PY, run_sohoa and fail):
#
#   . "$SOHOA_SOURCE/tests/pack_fixture.sh"
#   pfx_keys                      the keys of tests/sign_fixtures.sh in $PFX (exports P12PASS)
#   pfx_workspace ws 4 93.000.036.001.015 93.000.036.001.016
#                                 a workspace ./ws (cd into it) with 4 dossiers spread over the
#                                 organisations in turn, each with two documents (02 and 03, the
#                                 priority-1 pair: the dossier passes), validated and signed;
#                                 their folders in PFX_DOSSIERS (relative to the workspace)
#   pfx_next_cccd; pfx_dossier ORG "$PFX_CCCD" NAME [--big|--huge]
#                                 one more dossier in the current workspace (ingested only; its
#                                 folder in PFX_LAST); its 02 is a small G4 page (≈ 30 kB, with
#                                 its 03 ≈ 70 kB signed), with --big one A4 JPEG page at 200 ppi
#                                 (≈ 0.62 MB), with --huge two of them (≈ 1.25 MB)
#   pfx_sign PATH...              validate and sign PATH (what passed is signed)
#   pfx_pack STATUS ARGS...       run_sohoa STATUS pack --to other-rsa.pem --basis "$PFX_BASIS"
#                                 --pkcs12 org-rsa.p12 --pin-env P12PASS ARGS...
#
# Keys ($PFX): the organisation's key org-rsa.p12 (passphrase p12-pass), signing both the
# documents and the packages; receivers other-rsa.pem/.key (RSA-2048) and org-ec.pem/.key
# (EC P-256); the root ca.pem. Scans are made once per test (make_scans.py, one page per
# document, every page another person's) and taken in turn.

PFX=${PFX:-$TMP/keys}
PFX_BASIS=${PFX_BASIS:-"Công văn 123-CV/TU ngày 01/12/2026"}
PFX_DOSSIERS=()
PFX_LAST=
_pfx_small=0 # pages of $TMP/pfx-scans/small taken so far
_pfx_big=0
_pfx_cccd=0

pfx_keys() {
  [ -f "$PFX/org-rsa.p12" ] || bash "$SOHOA_SOURCE/tests/sign_fixtures.sh" "$PFX"
  export P12PASS=p12-pass
}

# _pfx_page KIND: an unused scanned page in _PFX_PAGE (more are made when they run out; not in a
# subshell: the counters must stay).
_pfx_page() {
  local kind=$1 n dir
  if [ "$kind" = small ]; then n=$((++_pfx_small)); else n=$((++_pfx_big)); fi
  local batch=16 ext=tif args=(--format tiff-g4 --size A5) seed=100
  [ "$kind" = small ] || { batch=4 ext=jpg args=(--format jpeg --size A4) seed=200; }
  dir=$TMP/pfx-scans/$kind-$(((n - 1) / batch))
  [ -d "$dir" ] || scans "$dir" "${args[@]}" --dpi 200 --pages "$batch" \
    --seed $((seed + (n - 1) / batch))
  _PFX_PAGE=$(printf '%s/scan-%03d.%s' "$dir" $(((n - 1) % batch + 1)) "$ext")
  [ -f "$_PFX_PAGE" ] || fail "pack fixture: no scan $_PFX_PAGE"
}

pfx_dossier() {
  local org=$1 cccd=$2 name=$3 big=${4:-} p3
  local p2=()
  case $big in
  --big) _pfx_page big; p2=("$_PFX_PAGE") ;;
  --huge) _pfx_page big; p2=("$_PFX_PAGE"); _pfx_page big; p2+=("$_PFX_PAGE") ;;
  *) _pfx_page small; p2=("$_PFX_PAGE") ;;
  esac
  _pfx_page small
  p3=$_PFX_PAGE
  run_sohoa 0 ingest --org "$org" --cccd "$cccd" --name "$name" --type 2 "${p2[@]}"
  run_sohoa 0 ingest --org "$org" --cccd "$cccd" --name "$name" --type 3 "$p3"
  PFX_LAST=$(cd "$org" && ls -d "$cccd"_* | head -1)
  PFX_LAST=$org/$PFX_LAST
  [ -d "$PFX_LAST" ] || fail "pack fixture: no dossier folder for $cccd under $org"
}

pfx_sign() {
  "$SOHOA" validate -q "$@" >/dev/null 2>&1 || true # failures show as unsigned files
  "$SOHOA" sign -q --pkcs12 "$PFX/org-rsa.p12" --pin-env P12PASS "$@" >"$TMP/.pfx-sign" 2>&1 ||
    true
}

# pfx_next_cccd: a CCCD not used yet in PFX_CCCD (0010850xxxxx, a Hà Nội man born in 1985;
# ascending, so dossier folders sort in the order they are made).
pfx_next_cccd() { _pfx_cccd=$((_pfx_cccd + 1)); PFX_CCCD=$(printf '0010850%05d' "$_pfx_cccd"); }

PFX_NAMES=("Nguyễn Văn An" "Trần Thị Bình" "Lê Hoàng Cường" "Phạm Thị Dung" "Hoàng Văn Em"
  "Vũ Thị Giang" "Đặng Quốc Hùng" "Bùi Thị Lan")

pfx_workspace() {
  local dir=$1 n=$2 i org
  shift 2
  local orgs=("$@")
  [ ${#orgs[@]} -gt 0 ] || orgs=(93.000.036.001.015)
  pfx_keys
  "$SOHOA" init "$dir" --station T-01 --operator "Nguyễn Văn A" -q
  cd "$dir"
  sed -i 's|^stamp_place = .*|stamp_place = fixed|' sohoa.ini # pack tests are not about the stamp
  PFX_DOSSIERS=()
  for ((i = 0; i < n; i++)); do
    org=${orgs[$((i % ${#orgs[@]}))]}
    pfx_next_cccd
    pfx_dossier "$org" "$PFX_CCCD" "${PFX_NAMES[$((i % ${#PFX_NAMES[@]}))]}"
    PFX_DOSSIERS+=("$PFX_LAST")
  done
  pfx_sign .
  local f
  for f in "${PFX_DOSSIERS[@]}"; do
    [ "$(find "$f" -name '*_signed.pdf' | wc -l)" = 2 ] ||
      fail "pack fixture: $f is not signed: $(ls "$f"; cat "$TMP/.pfx-sign")"
  done
}

pfx_pack() {
  local want=$1
  shift
  run_sohoa "$want" pack --to "$PFX/other-rsa.pem" --basis "$PFX_BASIS" \
    --pkcs12 "$PFX/org-rsa.p12" --pin-env P12PASS "$@"
}
