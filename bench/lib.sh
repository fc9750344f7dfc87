# Shared by the benchmark scripts: source it after setting $tmp (a scratch folder).
# median: the median of the numbers on stdin, one per line.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# measure CMD...: "WALL RSS" of one run, the wall seconds and the peak resident set size in KiB
# (of the largest process, for a script that runs several); output to /dev/null, stderr to
# $tmp/err; fails with the command's status.
if [ -x /usr/bin/time ]; then
  measure() {
    local s e rc=0
    s=$(date +%s.%N)
    /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" || rc=$?
    e=$(date +%s.%N)
    [ "$rc" -eq 0 ] || return "$rc"
    echo "$(echo "$e - $s" | bc -l) $(tail -n 1 "$tmp/rss")"
  }
else # no GNU time (package time): the largest child's ru_maxrss, timed around the child alone
  measure() {
    python3 -c '
import resource, subprocess, sys, time
err = open(sys.argv[1], "wb")
s = time.perf_counter()
rc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=err).returncode
e = time.perf_counter()
if rc:
    sys.exit(rc)
print(f"{e - s:.6f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
' "$tmp/err" "$@"
  }
fi
# bench_workspace: a workspace at $tmp/ws for $sohoa; $sohoa_ok 0 and the reason in $why when
# sohoa is not built or cannot make one (the other tool's figures are still printed).
bench_workspace() {
  ws=$tmp/ws
  sohoa_ok=1
  why=
  if [ ! -x "$sohoa" ]; then
    sohoa_ok=0
    why="$sohoa not built"
  elif ! "$sohoa" init "$ws" --station BENCH --operator bench -q >/dev/null 2>"$tmp/err"; then
    sohoa_ok=0
    why="sohoa init failed: $(head -n 3 "$tmp/err")"
  fi
}
