#!/usr/bin/env bash
# Each source check catches what it is there for (issue 14): a copy of core/error.c passes it,
# then the same copy with one violation seeded fails it. The three seeds:
#   (a) a misformatted line            → clang-format --dry-run --Werror (.clang-format)
#   (b) a read of an uninitialised int → clang-tidy's static analyzer (.clang-tidy)
#   (c) an ignored SH_NODISCARD result → the build's -Werror, with gcc and with clang
# The checks' own output is printed. A few seconds: it runs with the other tests (ctest
# check.seeded_violations). Exit status 0 when every check passes the copy and fails each seed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sohoa-seeded.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$root/.clang-format" "$root/.clang-tidy" "$tmp/"
# The flags of the build (CMakeLists.txt), and core's public header.
read -r -a glib <<<"$(pkg-config --cflags glib-2.0)"
cflags=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
  -Wstrict-prototypes -I"$root/core/include" "${glib[@]}")
bad=0

# $1 what, $2 the file, then the check's command: it must pass on the copy as it is.
passes() {
  local what=$1
  shift 2
  if ! out=$("$@" 2>&1); then
    printf 'FAIL: %s rejects the unseeded copy:\n%s\n' "$what" "$out"
    bad=1
  fi
}
# The same check on the seeded file must fail; its diagnostics (matching $2) are shown.
fails() {
  local what=$1 pattern=$2
  shift 2
  if out=$("$@" 2>&1); then
    printf 'FAIL: %s accepts the seeded violation\n' "$what"
    bad=1
  else
    printf '%s fails, as it must:\n' "$what"
    grep -E "$pattern" <<<"$out" | sed "s|$tmp/||; s|^|    |"
  fi
}
fresh() { cp "$root/core/error.c" "$tmp/error.c"; }
tidy() { clang-tidy --quiet --config-file="$tmp/.clang-tidy" "$tmp/error.c" -- "${cflags[@]}"; }

echo "(a) misformatted line"
fresh
passes clang-format "$tmp/error.c" clang-format --dry-run --Werror "$tmp/error.c"
printf 'int  seeded_misformatted( void ){return 0;}\n' >>"$tmp/error.c"
fails "clang-format --dry-run --Werror" 'error:' clang-format --dry-run --Werror "$tmp/error.c"

echo "(b) uninitialised read"
fresh
passes clang-tidy "$tmp/error.c" tidy
cat >>"$tmp/error.c" <<'EOF'

int seeded_uninitialised(int x);
int seeded_uninitialised(int x)
{
    int v;
    if (x > 0)
        v = 1;
    return v;
}
EOF
fails "clang-tidy (clang-analyzer)" 'error:' tidy

echo "(c) ignored SH_NODISCARD result"
fresh
for cc in gcc clang; do
  passes "$cc -Werror" "$tmp/error.c" "$cc" "${cflags[@]}" -c "$tmp/error.c" -o "$tmp/error.o"
done
cat >>"$tmp/error.c" <<'EOF'

void seeded_ignored(void);
void seeded_ignored(void)
{
    sh_error err;
    sh_check_station_id("HN-01", &err);
}
EOF
for cc in gcc clang; do
  fails "$cc -Werror" 'error:' "$cc" "${cflags[@]}" -c "$tmp/error.c" -o "$tmp/error.o"
done

[ "$bad" -eq 0 ] && echo "every check catches its seeded violation"
exit "$bad"
