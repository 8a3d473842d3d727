#!/usr/bin/env bash
# Runs clang-tidy (the repo's .clang-tidy) over the library sources of src/, in parallel.
# Usage: tools/tidy.sh [build dir with compile_commands.json] [file...]
#   With no build dir, the first build/*/compile_commands.json is used. With no files, every src/**/*.cpp
#   that is not a *_test.cpp: tests are GoogleTest macro expansions where bugprone/performance findings
#   are about the framework, and linting them would double the run time on two cores.
#   TIDY_JOBS sets the parallelism (default: nproc). Exits non-zero on any finding.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tidy=${CLANG_TIDY:-clang-tidy}
command -v "$tidy" >/dev/null || { echo "tidy: $tidy not found (scripts/setup.sh test installs it)" >&2; exit 2; }

build=${1:-}
if [[ -z "$build" ]]; then
  for candidate in build/*/compile_commands.json; do
    [[ -f "$candidate" ]] && { build=$(dirname "$candidate"); break; }
  done
fi
[[ -n "$build" && -f "$build/compile_commands.json" ]] || { echo "tidy: no compile_commands.json (configure a build first)" >&2; exit 2; }
shift || true

if (($#)); then
  files=("$@")
else
  mapfile -t files < <(find src -name '*.cpp' ! -name '*_test.cpp' | sort)
fi
jobs=${TIDY_JOBS:-$(nproc)}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
status=0
printf '%s\n' "${files[@]}" | xargs -P "$jobs" -n 1 "$tidy" -p "$build" --quiet >"$log" 2>&1 || status=1
grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Use -system-headers' "$log" || true
echo "tidy: ${#files[@]} files in $((SECONDS - start)) s: $([[ $status -eq 0 ]] && echo ok || echo FINDINGS)"
exit $status
