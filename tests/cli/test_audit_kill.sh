#!/usr/bin/env bash
# kill -9 at any moment leaves a chain that verifies: writers are killed at random points,
# twenty times over, then the chain is checked and appending still works.
. "$(dirname "$0")/lib.sh"

new_workspace ws
cd ws
for round in $(seq 1 20); do
  ( while :; do "$SOHOA" -q audit note "vòng $round"; done ) &
  loop=$!
  sleep "0.0$(( (RANDOM % 9) + 1 ))"
  # Kill the sohoa process mid-write (not only the loop), then the loop.
  pkill -9 -P "$loop" sohoa 2>/dev/null || true
  kill -9 "$loop" 2>/dev/null || true
  wait "$loop" 2>/dev/null || true
done
run_sohoa 0 audit verify
run_sohoa 0 audit note "sau khi bị ngắt"
run_sohoa 0 audit verify
pass
