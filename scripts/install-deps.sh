#!/usr/bin/env bash
# Installs every Debian 12 package sohoa needs to build, test and run. Idempotent.
set -euo pipefail
packages=(
  build-essential cmake pkg-config gettext clang
  # the source checks: formatting and static analysis (scripts/check-source.sh)
  clang-format clang-tidy
  libglib2.0-dev libsqlite3-dev libssl-dev libcmocka-dev
  libtiff-dev libpng-dev zlib1g-dev libpoppler-glib-dev libleptonica-dev libjpeg62-turbo-dev libjbig2dec0-dev
  libharfbuzz-dev libp11-kit-dev
  # the upload's tus client (HTTP and TLS through libcurl with OpenSSL)
  libcurl4-openssl-dev
  # export: the medium's filesystem UUID and label (libblkid); util-linux's unshare and mount for
  # its tests (a small tmpfs; an ext4 image for the UUID and label)
  libblkid-dev util-linux mount e2fsprogs
  # the supervisors' spreadsheet (report --xlsx), and the independent reader that checks it
  libxlsxwriter-dev python3-openpyxl
  # a real PKCS#11 token for the signing tests, and tools to load keys into it
  softhsm2 opensc libnss3-tools
  sqlite3 python3 procps bc
  # the complexity and length limit (scripts/check-complexity.sh)
  pmccabe
  # the Debian package: built, linted, installed and its manual page found (scripts/test-deb.sh)
  debhelper dpkg-dev fakeroot lintian man-db
  # kills a command at a chosen system call (the rescan recovery test)
  strace
  # judges in the tests, and the sample generator (scanned-looking pages with Vietnamese text)
  qpdf poppler-utils mupdf-tools libtiff-tools python3-pil fonts-dejavu-core chromium
  # the ZIP judges of the upload tests (unzip -t, zipinfo -v, bsdtar -tvf)
  unzip libarchive-tools
  # openssl cms, the judge of the signatures and of the packages' encryption
  openssl
  # the tools the ingest and page-analysis benchmarks compare with
  img2pdf tesseract-ocr tesseract-ocr-osd
)
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "sohoa: installing packages needs root; run this as root or install sudo" >&2; exit 2
  fi
}
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
as_root apt-get install -y -q --no-install-recommends "${packages[@]}"

# The receiving hub (hub/, issue 16): curl for its test, Node.js and the npm packages pinned in
# hub/package-lock.json. @tus/server 2 needs Node.js >= 20.19: this kind of machine comes with
# Node.js 20 (and its npm); Debian 12's own nodejs is 18, taken only when there is no node at all,
# and then the hub's test fails saying so.
hub_apt=()
command -v curl >/dev/null || hub_apt+=(curl)
command -v node >/dev/null || hub_apt+=(nodejs)
command -v npm >/dev/null || hub_apt+=(npm)
[ ${#hub_apt[@]} -eq 0 ] || as_root apt-get install -y -q --no-install-recommends "${hub_apt[@]}"
hub_dir="$(cd "$(dirname "$0")/.." && pwd)/hub"
if [ -f "$hub_dir/package-lock.json" ]; then
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
    echo "sohoa: warning: the hub needs Node.js >= 20.19, this is $(node --version)" >&2
  npm ci --prefix "$hub_dir" --no-audit --no-fund
fi
