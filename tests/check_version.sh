#!/usr/bin/env bash
# Fails when the three places that state sohoa's version disagree: project(sohoa VERSION …) in
# the top CMakeLists.txt (the one written by hand), the newest entry of debian/changelog (the
# package's version) and what the built sohoa --version prints; CHANGELOG.md has its section.
set -euo pipefail
src=${1:?source folder}
sohoa=${2:?sohoa binary}
cmake_version=$(sed -n 's/^project(sohoa VERSION \([0-9][0-9.]*\)[ )].*/\1/p' "$src/CMakeLists.txt")
deb_version=$(sed -n '1s/^sohoa (\([^)]*\)).*/\1/p' "$src/debian/changelog" 2>/dev/null || true)
bin_version=$("$sohoa" --version | sed -n 's/^sohoa //p')
echo "CMakeLists.txt: ${cmake_version:-?}; debian/changelog: ${deb_version:-?}; sohoa --version: ${bin_version:-?}"
if [ -z "$cmake_version" ] || [ "$cmake_version" != "$deb_version" ] ||
  [ "$cmake_version" != "$bin_version" ]; then
  echo "the versions disagree: give debian/changelog a new entry (dch -v VERSION) when" \
    "project(sohoa VERSION …) changes, and rebuild sohoa"
  exit 1
fi
if ! grep -q "^## \[$cmake_version\]" "$src/CHANGELOG.md"; then
  echo "CHANGELOG.md has no section \"## [$cmake_version]\""
  exit 1
fi
