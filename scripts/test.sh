#!/usr/bin/env bash
# The test command (README, .ci/run): install dependencies, then build and run the whole CTest
# suite twice: gcc with optimisation, and clang with AddressSanitizer + UndefinedBehaviorSanitizer
# (which also builds and replays the fuzz targets on their corpora).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)

echo "== gcc build and tests =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc
cmake --build build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure

echo "== clang ASan+UBSan build and tests =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
  -DSOHOA_SANITIZE=ON -DSOHOA_FUZZ=ON
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -j"$jobs" --output-on-failure
