#!/usr/bin/env bash
# clang-format (the repo's .clang-format) over every C++ file of src/ emulator/ tests/ bench/ fuzz/.
# Usage: tools/format.sh          reformat in place (`make format`)
#        tools/format.sh --check  change nothing; list the files that differ and fail (`make lint`, ctest lint.format)
# CLANG_FORMAT picks the binary; CI pins Debian 12's clang-format 14, whose output other versions may not match.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
format=${CLANG_FORMAT:-clang-format}
command -v "$format" >/dev/null || { echo "format: $format not found (scripts/setup.sh test installs it)" >&2; exit 2; }
mapfile -t files < <(find src emulator tests bench fuzz -type d -name node_modules -prune -o \
  -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print | sort)
if [[ "${1:-}" == "--check" ]]; then
  if "$format" --dry-run --Werror "${files[@]}"; then
    echo "format: ${#files[@]} files ok ($("$format" --version))"
  else
    echo "format: the files above differ from .clang-format; run 'make format'" >&2
    exit 1
  fi
else
  "$format" -i "${files[@]}"
  echo "format: ${#files[@]} files formatted"
fi
