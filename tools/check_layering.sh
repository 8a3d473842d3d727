#!/usr/bin/env bash
# Fails when a module includes a module it must not depend on (docs/architecture.md, "May depend on").
# Usage: tools/check_layering.sh [repo root]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root/src"
status=0
# folder | forbidden include prefixes (regex on the quoted include path)
rules=(
  "util|^(aws|chat|http|api|backends|app|guard|observe)/"
  "guard|^(aws|chat|http|api|backends|app|observe)/"
  "observe|^(aws|chat|http|api|backends|app|guard)/"
  "aws/sigv4|^(chat|http|api|backends|app|aws/event_stream|aws/retry)/"
  "aws/event_stream|^(chat|http|api|backends|app|aws/sigv4|aws/retry|aws/credentials)/"
  "aws/retry|^(chat|http|api|backends|app|aws/sigv4|aws/event_stream|aws/credentials)/"
  "aws/credentials|^(chat|api|backends|app|http/server)/"
  "chat|^(aws|http|api|backends|app|guard)/"
  "http|^(aws|chat|api|backends|app|guard)/"
  "backends/offline|^(api|app|aws|http|backends/bedrock|backends/openai|backends/upstream)/"
  "backends/upstream|^(api|app|http/server|backends/offline|backends/bedrock|backends/openai)/"
  "backends/bedrock|^(api|app|http/server|backends/offline|backends/openai)/"
  "backends/openai|^(api|app|http/server|aws/sigv4|aws/event_stream|aws/credentials|backends/offline|backends/bedrock)/"
  "json|^(aws|chat|http|api|backends|app|util)/"
  "api|^(aws|backends|app)/"
  "api/ui|^(aws|backends|app|chat|http|api/openai)/"
)
for rule in "${rules[@]}"; do
  folder=${rule%%|*}
  forbidden=${rule#*|}
  while IFS= read -r line; do
    file=${line%%:*}
    include=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"${line#*:}")
    if [[ "$include" =~ $forbidden ]]; then
      echo "layering violation: src/$file includes \"$include\" ($folder must not depend on it)"
      status=1
    fi
  done < <(grep -rn --include='*.hpp' --include='*.cpp' --exclude='*_test.cpp' '#include "' "$folder" | sed -E 's/^([^:]+):[0-9]+:/\1:/')
done
# api/openai builds on the api core (error table, SSE writer); the core never includes it (app mounts it).
if grep -rn --include='*.hpp' --include='*.cpp' --exclude='*_test.cpp' --exclude-dir=openai '#include "api/openai/' api; then
  echo "layering violation: the api core includes api/openai (mount it from app/ instead)"
  status=1
fi
# Pure cores never see Beast or the JSON library.
if grep -rln --include='*.hpp' --include='*.cpp' --exclude='*_test.cpp' -E '#include <boost/(beast|json)' aws/sigv4 aws/event_stream aws/retry chat util api/ui guard; then
  echo "layering violation: the files above are pure cores but include Beast or Boost.JSON"
  status=1
fi
[[ $status -eq 0 ]] && echo "layering: ok"
exit $status
