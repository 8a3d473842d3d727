#!/usr/bin/env bash
# Installs what llamachat needs on Debian 12, and nothing that is already there.
#   scripts/setup.sh run    build and run dependencies
#   scripts/setup.sh test   + test tools (gcovr, node/npm packages for interop tests)
#   scripts/setup.sh bench  + benchmark tools (wrk; nginx-light for the reverse-proxy reference row)
#   scripts/setup.sh fuzz   + clang 14 and its libFuzzer/sanitizer runtimes (make fuzz)
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build make pkg-config libboost1.81-dev libssl-dev zlib1g-dev ca-certificates)
case "$mode" in
  test) packages+=(libgtest-dev libgmock-dev googletest libbenchmark-dev gcovr python3 python3-prometheus-client procps chromium clang-format clang-tidy python3-yaml) ;;
  bench) packages+=(libgtest-dev libgmock-dev googletest libbenchmark-dev wrk procps python3 curl nginx-light) ;;
  fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
  run) ;;
  *) echo "usage: $0 run|test|bench|fuzz" >&2; exit 2 ;;
esac
# Node.js for the interop tests with the official AWS SDK for JavaScript; keep a newer one if present.
if [[ "$mode" == test || "$mode" == bench ]] && ! command -v node >/dev/null 2>&1; then packages+=(nodejs npm); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages pinned by package-lock.json; installed once, re-installed when the lockfile changes.
if [[ "$mode" != run ]]; then
  for dir in tests/interop tests/browser; do
    [[ -f "$dir/package-lock.json" ]] || continue
    stamp="$dir/node_modules/.llamachat-lock"
    if ! cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null; then
      echo "setup: npm ci in $dir"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
      cp "$dir/package-lock.json" "$stamp"
    fi
  done
fi
