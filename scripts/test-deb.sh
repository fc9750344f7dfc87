#!/usr/bin/env bash
# The Debian package, end to end (scripts/test.sh runs it after the gcc tests): build it from a
# copy of the sources (dpkg-buildpackage writes beside the source folder and into debian/),
# lint it, install it with apt as a scan station would, check what it installed, run the demo
# with the installed sohoa, remove it and check it is gone. Needs root, like apt-get. Leaves the
# package in build-deb/ (the file to carry to a station, README "Offline install").
# A sohoa package installed before the run is replaced, then removed.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=$src/build-deb
version=$(sed -n 's/^project(sohoa VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
tree=$out/sohoa-$version
jobs=$(nproc)

fail() {
  echo "test-deb: $*" >&2
  exit 1
}

# The sources as git sees them: tracked and new files, not the ignored build folders (a tracked
# file deleted in the work tree is skipped, quietly).
copy_sources() {
  rm -rf "$out"
  mkdir -p "$tree"
  if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$src" ls-files -z -co --exclude-standard |
      tar -cf - --null --ignore-failed-read -T - 2>/dev/null | tar -xf - -C "$tree"
  else
    tar -cf - --exclude='./build*' --exclude=./.git . | tar -xf - -C "$tree"
  fi
}

# The log is shown only when a step fails: a package build prints thousands of lines.
quietly() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 || { tail -n 60 "$log" >&2; fail "$* failed (log: $log)"; }
}

build_and_lint() {
  cd "$out"
  quietly "$out/source.log" dpkg-source -b "sohoa-$version"
  cd "$tree"
  quietly "$out/build.log" dpkg-buildpackage -b -us -uc -j"$jobs"
  cd "$out"
  deb=$(ls "$out"/sohoa_"$version"_*.deb)
  # What sohoa dlopens is invisible to dpkg-shlibdeps: debian/rules adds it.
  dpkg-deb -f "$deb" Depends | grep -q 'libpoppler-glib[0-9]' || fail "no Poppler dependency"
  # Errors fail the run; warnings (none today) are printed.
  lintian --fail-on error --tag-display-limit 0 "$out"/sohoa_"$version".dsc "$deb" ||
    fail "lintian found errors"
}

check_installed() {
  [ "$(command -v sohoa)" = /usr/bin/sohoa ] || fail "sohoa is not /usr/bin/sohoa"
  [ "$(sohoa --version)" = "sohoa $version" ] || fail "sohoa --version: $(sohoa --version)"
  man -w sohoa | grep -q '^/usr/share/man/man1/sohoa\.1' || fail "no manual page"
  man -w -L vi sohoa | grep -q '^/usr/share/man/vi/man1/sohoa\.1' || fail "no Vietnamese manual page"
  [ -f /usr/share/bash-completion/completions/sohoa ] || fail "no bash completion"
  [ -f /usr/share/locale/vi/LC_MESSAGES/sohoa.mo ] || fail "no Vietnamese catalog"
  # The installed sohoa finds its catalog under /usr/share/locale with no help from the build.
  local help
  help=$(cd / && env -u SOHOA_LOCALEDIR sohoa --lang vi --help)
  grep -q 'Cách dùng' <<<"$help" || fail "the installed sohoa does not speak Vietnamese"
  [ -f /usr/share/doc/sohoa/copyright ] || fail "no copyright file"
  ls /usr/share/doc/sohoa/README.md* >/dev/null || fail "no README in /usr/share/doc/sohoa"
  local seal
  seal=$(mktemp --suffix=.png)
  { sohoa-make-seal "$seal" --diameter-mm 20 && [ -s "$seal" ]; } || fail "sohoa-make-seal failed"
  rm -f "$seal"
}

# A failed run does not leave its package installed.
remove_on_failure() {
  local status=$?
  if [ "$status" != 0 ] && dpkg -s sohoa >/dev/null 2>&1; then
    apt-get remove -y sohoa >/dev/null 2>&1 || true
  fi
  return "$status"
}

copy_sources
build_and_lint
export DEBIAN_FRONTEND=noninteractive
trap remove_on_failure EXIT
quietly "$out/install.log" apt-get install -y "$deb"
check_installed
echo "== the demo with the installed sohoa =="
SOHOA=/usr/bin/sohoa bash "$tree/scripts/demo.sh" >"$out/demo.log" 2>&1 ||
  { tail -n 40 "$out/demo.log" >&2; fail "the demo failed with the installed sohoa"; }
quietly "$out/remove.log" apt-get remove -y sohoa
hash -r
{ [ ! -e /usr/bin/sohoa ] && ! command -v sohoa >/dev/null; } || fail "sohoa is still installed"
[ ! -e /usr/share/locale/vi/LC_MESSAGES/sohoa.mo ] || fail "the catalog is still installed"
echo "test-deb: $(basename "$deb") built, lint-clean of errors, installed, demo run, removed (${SECONDS}s)"
