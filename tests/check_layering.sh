#!/usr/bin/env bash
# The layering rules the include paths cannot enforce alone (docs/architecture.md, "Modules and
# headers"): every global symbol of a module's library carries the module's prefix; no source
# reaches a header by a relative path (which would bypass the per-module include folders); a
# public header includes no private one. Arguments: the source folder, then MODULE=LIBRARY pairs.
set -euo pipefail
src=${1:?source folder}
shift
fail=0
declare -A prefix=([core]=sh_ [naming]=nm_ [pdf]=pdf_ [ingest]=in_ [validate]=vd_ [sign]=sg_ [upload]=up_ [progress]=pg_)
for pair in "$@"; do
  module=${pair%%=*} lib=${pair#*=}
  p=${prefix[$module]:?no prefix known for module $module: add it here and to docs/architecture.md}
  # Defined, global code and data; the compiler's own helpers (__x86.get_pc_thunk…) excepted.
  bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $2 ~ /[TDBRC]/ {print $3}' |
    grep -v "^$p" | grep -v '^__' || true)
  if [ -n "$bad" ]; then
    echo "$module: global symbols without the module prefix $p (make them static, or rename):"
    echo "$bad" | sed 's/^/  /'
    fail=1
  fi
done
cd "$src"
modules=$(for d in */include; do echo "${d%/include}"; done)
relative=$(grep -rnE '^#\s*include\s+"\.\./' --include='*.c' --include='*.h' $modules cli tests fuzz bench || true)
if [ -n "$relative" ]; then
  echo "includes by relative path (use the module's public header, or declare a test's private need in tests/CMakeLists.txt):"
  echo "$relative"
  fail=1
fi
private_in_public=$(grep -nE '^#\s*include\s+"[a-z0-9_]+_impl\.h"' */include/*/*.h || true)
if [ -n "$private_in_public" ]; then
  echo "a public header includes a private one:"
  echo "$private_in_public"
  fail=1
fi
[ $fail = 0 ] && echo "layering: symbols, includes and public headers as the rules say"
exit $fail
