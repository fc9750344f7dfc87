#!/usr/bin/env bash
# The test command (README, .ci/run): install dependencies, then build and run the whole CTest
# suite twice: gcc with optimisation, and clang with AddressSanitizer + UndefinedBehaviorSanitizer
# (which also builds and replays the fuzz targets on their corpora); in between, the Debian
# package is built, installed, tried and removed (scripts/test-deb.sh); and right after the clang
# build, the source checks fail the run on any violation (scripts/check-source.sh).
# Both CTest runs together stay under 15 minutes on 2 cores: kill campaigns run a bounded sample
# and the fuzz targets a short fixed-seed run after their corpus; the full campaigns are
# `cmake --build build --target kill-campaign` and -DSOHOA_FUZZ_RUNS / fuzz/README.md's long
# sessions (CONTRIBUTING.md, "Test").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)

echo "== gcc build and tests =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc
cmake --build build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure

echo "== Debian package: build, lint, install, demo with the installed sohoa, remove =="
bash scripts/test-deb.sh

echo "== clang ASan+UBSan build and tests =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
  -DSOHOA_SANITIZE=ON -DSOHOA_FUZZ=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
cmake --build build-asan -j"$jobs"

echo "== source checks: clang-format, clang-tidy, complexity =="
SOHOA_CHECK_JOBS="$jobs" bash scripts/check-source.sh build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -j"$jobs" --output-on-failure
