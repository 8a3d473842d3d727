#!/usr/bin/env bash
# The one benchmark command (`make bench`): installs what is missing, builds the Release binaries, runs
# bench/run.py and prints the Markdown report (also written to build/bench/bench-report.md).
#   bench/run.sh            full run (about 8 minutes)
#   bench/run.sh --quick    short smoke run: checks that everything works, figures are not results
#   bench/run.sh --baseline REV [--rows chat50,sse50]
#                           before and after in one run: also builds llamachat (Release) as of the git
#                           revision REV (a sha, a branch, HEAD~3, origin/main...) and measures both binaries
#                           against the same fake upstream (built from the current tree), each row on both back
#                           to back, the order alternating between repetitions; the report adds a table of
#                           baseline, current and current/baseline (balanced over both orders) for each row.
#                           --rows limits the run to those rows of the load table (see bench/run.py --help
#                           for their names); the other sections are then skipped. Through make:
#                           make bench BENCH_ARGS="--baseline origin/main --rows chat50,sse50"
# REV is built in its own git worktree, detached, at <build dir>-baseline (build/bench-baseline), with its
# build directory at the same place inside it as the current one (build/bench-baseline/build/bench). Both
# are kept: the build is skipped while REV names the same commit, and is incremental when it moves. When
# ccache is installed both builds go through it with CCACHE_BASEDIR at this checkout, so that the files REV
# and the current tree share compile once (the mirrored layout gives them the same relative paths).
# Uncommitted changes count as "current", never as the baseline.
# Extra arguments go to bench/run.py (see bench/run.py --help). LLAMACHAT_BENCH_BUILD_DIR overrides the
# build directory (default build/bench).
set -euo pipefail
cd "$(dirname "$0")/.."

baseline_rev=""
args=()
while (($#)); do
  case "$1" in
    --baseline)
      (($# >= 2)) || { echo "bench/run.sh: --baseline needs a git revision" >&2; exit 2; }
      baseline_rev=$2
      shift 2
      ;;
    --baseline=*)
      baseline_rev=${1#--baseline=}
      shift
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done

baseline_sha=""
if [[ -n "$baseline_rev" ]]; then
  # Resolved before anything is built, so that a mistyped revision fails at once.
  baseline_sha=$(git rev-parse --verify --quiet "${baseline_rev}^{commit}") ||
    { echo "bench/run.sh: '$baseline_rev' is not a commit of this repository" >&2; exit 2; }
fi

scripts/setup.sh bench
build_dir=${LLAMACHAT_BENCH_BUILD_DIR:-build/bench}
jobs=${JOBS:-$(nproc)}
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMACHAT_BUILD_TESTS=OFF -DLLAMACHAT_BUILD_BENCH=ON \
  "${launcher[@]}"
cmake --build "$build_dir" --target llamachat llamachat-fake-upstream llamachat_bench -j "$jobs"

baseline_args=()
if [[ -n "$baseline_sha" ]]; then
  baseline_src="${build_dir%/}-baseline"
  # The build directory sits where the current one does, relative to its checkout (see the header).
  if [[ "$build_dir" == /* ]]; then
    baseline_build="$baseline_src/build/bench"
  else
    baseline_build="$baseline_src/$build_dir"
  fi
  baseline_bin="$baseline_build/src/llamachat"
  stamp="$baseline_build/built-from"
  if [[ -x "$baseline_bin" && -f "$stamp" && "$(cat "$stamp")" == "$baseline_sha" ]]; then
    echo "bench: the baseline llamachat of ${baseline_sha:0:12} is already built in $baseline_build" >&2
  else
    # A worktree whose directory is gone (`make clean`) would block `git worktree add`.
    git worktree prune
    if [[ -d "$baseline_src" ]] && git -C "$baseline_src" rev-parse --show-toplevel >/dev/null 2>&1 &&
      [[ "$(git -C "$baseline_src" rev-parse --show-toplevel)" == "$(cd "$baseline_src" && pwd -P)" ]]; then
      git -C "$baseline_src" checkout --quiet --force --detach "$baseline_sha"
    else
      rm -rf "$baseline_src"
      git worktree add --force --detach "$baseline_src" "$baseline_sha"
    fi
    rm -f "$stamp"
    # The same Release configuration as the current build; only the service itself is needed.
    cmake -S "$baseline_src" -B "$baseline_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMACHAT_BUILD_TESTS=OFF \
      -DLLAMACHAT_BUILD_BENCH=OFF "${launcher[@]}"
    cmake --build "$baseline_build" --target llamachat -j "$jobs"
    [[ -x "$baseline_bin" ]] || { echo "bench/run.sh: no $baseline_bin after building $baseline_rev" >&2; exit 1; }
    echo "$baseline_sha" >"$stamp"
  fi
  baseline_args=(--baseline-bin "$baseline_bin"
    --baseline-label "$baseline_rev ($(git log -1 --format='%h: %s' "$baseline_sha"))")
fi

exec python3 bench/run.py --build-dir "$build_dir" "${baseline_args[@]}" "${args[@]}"
