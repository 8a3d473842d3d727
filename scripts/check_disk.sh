#!/usr/bin/env bash
# Fails early, and says why, when a build cannot fit on the disk.
#   scripts/check_disk.sh <build dir> <MiB the complete build takes> [<MiB the tests need in $TMPDIR>]
# A build that runs out of space fails minutes in with errors that name the disk only in passing
# ("error writing to /tmp/cc….s", assembler assertions, missing objects). This check compares what the build
# still has to write (its full size less what <build dir> already holds, so an incremental build needs
# little) with the space free on the filesystem that holds <build dir>, and the tests' temporary files
# (256 MiB unless given) with what $TMPDIR's filesystem has free.
# The Makefile's sizes were measured on a fresh clone (README, "Development"). LLAMACHAT_DISK_CHECK=off skips it.
set -euo pipefail
usage="usage: $0 <build dir> <MiB needed> [<MiB needed in \$TMPDIR>]"
build_dir=${1:?$usage}
need_mib=${2:?$usage}
tmp_need_mib=${3:-256}

[[ "${LLAMACHAT_DISK_CHECK:-on}" == off ]] && exit 0

# Free MiB on the filesystem holding $1 (the nearest existing parent of it).
free_mib() {
  local dir=$1
  while [[ ! -d "$dir" ]]; do dir=$(dirname "$dir"); done
  df -Pm "$dir" | awk 'NR == 2 { print $4 }'
}

have_mib=0
[[ -d "$build_dir" ]] && have_mib=$(du -sm "$build_dir" | awk '{ print $1 }')
still_mib=$((need_mib > have_mib ? need_mib - have_mib : 0))
free_build=$(free_mib "$build_dir")
tmp_dir=${TMPDIR:-/tmp}
free_tmp=$(free_mib "$tmp_dir")

status=0
if ((free_build < still_mib)); then
  echo "check_disk: $build_dir needs about $still_mib MiB more (a complete build takes $need_mib MiB;" \
    "$have_mib MiB are there), but its filesystem has $free_build MiB free. Free some space, or set" \
    "LLAMACHAT_DISK_CHECK=off to try anyway." >&2
  status=1
fi
if ((free_tmp < tmp_need_mib)); then
  echo "check_disk: the tests write temporary files under $tmp_dir, which has $free_tmp MiB free;" \
    "they need about $tmp_need_mib MiB. Free some space there or point TMPDIR elsewhere." >&2
  status=1
fi
((status == 0)) && echo "check_disk: $build_dir: $free_build MiB free, about $still_mib MiB still to write; $tmp_dir: $free_tmp MiB free"
exit $status
