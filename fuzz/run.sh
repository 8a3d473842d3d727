#!/usr/bin/env bash
# Runs every libFuzzer target of a `fuzz` preset build for a bounded time and prints, per target, the
# executions and the coverage libFuzzer reports at the end (-print_final_stats=1). Exits non-zero when a
# target finds a crash, leak, sanitizer report or timeout; the input is kept under <build>/fuzz/findings.
#
#   fuzz/run.sh [build dir (build/fuzz)] [seconds per target (FUZZ_SECONDS, 60)] [target names...]
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/fuzz}
seconds=${2:-${FUZZ_SECONDS:-60}}
shift $(( $# > 2 ? 2 : $# ))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for exe in "$build"/fuzz/fuzz_*; do [ -x "$exe" ] && targets+=("${exe##*/fuzz_}"); done
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz targets in $build/fuzz (build the fuzz preset first: make fuzz)" >&2
  exit 2
fi
findings="$build/fuzz/findings"
mkdir -p "$findings"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
summary=()
for name in "${targets[@]}"; do
  corpus="$build/fuzz/corpus/$name"  # grows between runs; the seeds stay read-only
  mkdir -p "$corpus"
  log="$build/fuzz/$name.log"
  echo "== fuzz_$name for ${seconds}s"
  "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$findings/$name-" "$corpus" "$build/fuzz/seeds/$name" >"$log" 2>&1
  status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  line="fuzz_$name: ${execs:-?} execs, ${cov:-cov: ?}, exit $status"
  summary+=("$line")
  echo "$line"
  if [ $status -ne 0 ]; then
    failed=1
    grep -E 'ERROR|SUMMARY|contract violated|Test unit written' "$log" | head -20
  fi
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $failed
