#!/usr/bin/env bash
# The one benchmark command (`make bench`): installs what is missing, builds the Release binaries, runs
# bench/run.py and prints the Markdown report (also written to build/bench/bench-report.md).
#   bench/run.sh            full run (about 8 minutes)
#   bench/run.sh --quick    short smoke run: checks that everything works, figures are not results
# Extra arguments go to bench/run.py (see bench/run.py --help). LLAMACHAT_BENCH_BUILD_DIR overrides the
# build directory (default build/bench).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench
build_dir=${LLAMACHAT_BENCH_BUILD_DIR:-build/bench}
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMACHAT_BUILD_TESTS=OFF -DLLAMACHAT_BUILD_BENCH=ON
cmake --build "$build_dir" --target llamachat llamachat-fake-upstream llamachat_bench -j "$jobs"
exec python3 bench/run.py --build-dir "$build_dir" "$@"
