#!/usr/bin/env bash
# Assembles the complete runtime root file system of the llamachat container image:
#   deploy/runtime_files.sh BINARY ROOT
# ROOT receives the binary, every shared library `ldd BINARY` names (and the ELF interpreter), the CA
# bundle where OpenSSL's default verify paths look, an unprivileged user and a minimal name-service
# configuration. Nothing else: the image's runtime stage is `FROM scratch` plus this directory, and
# tests/deploy/runtime_root_test.py runs the binary chrooted into a root made by this same script.
# Paths come from ldd and `openssl version -d`, so the script is the same on amd64 and arm64.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BINARY ROOT" >&2
  exit 2
fi
binary=$1
root=$2
[[ -x "$binary" ]] || { echo "runtime_files: $binary is not an executable" >&2; exit 1; }

readonly runtime_uid=10001
readonly binary_path=/usr/local/bin/llamachat
readonly ca_bundle=/etc/ssl/certs/ca-certificates.crt

install -d -m 0755 "$root"  # the container's /: traversable by the unprivileged user
install -D -m 0755 "$binary" "$root$binary_path"

# `ldd` prints "name => /path (addr)" for libraries and "/path (addr)" for the interpreter; the vDSO
# has no file. Each file is copied (dereferenced) to the path the dynamic loader will ask for.
ldd_output=$(ldd "$binary")
if grep -q 'not found' <<<"$ldd_output"; then
  echo "runtime_files: $binary needs libraries this system lacks:" >&2
  grep 'not found' <<<"$ldd_output" >&2
  exit 1
fi
libraries=$(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_output" | sort -u)
if [[ -z "$libraries" ]]; then
  echo "runtime_files: ldd found no libraries for $binary (static binary?)" >&2
  exit 1
fi
for library in $libraries; do
  install -D -m 0755 "$(readlink -f "$library")" "$root$library"
done

# OpenSSL's set_default_verify_paths reads OPENSSLDIR/cert.pem and OPENSSLDIR/certs; Debian points
# both at the ca-certificates bundle, and so does this root.
[[ -f "$ca_bundle" ]] || { echo "runtime_files: $ca_bundle missing (install ca-certificates)" >&2; exit 1; }
install -D -m 0644 "$ca_bundle" "$root$ca_bundle"
openssl_dir=/usr/lib/ssl
if command -v openssl >/dev/null 2>&1; then
  openssl_dir=$(openssl version -d | sed -E 's/^OPENSSLDIR: "(.*)"$/\1/')
fi
mkdir -p "$root$openssl_dir"
ln -sfn "$ca_bundle" "$root$openssl_dir/cert.pem"
ln -sfn /etc/ssl/certs "$root$openssl_dir/certs"

# The unprivileged user the image runs as (Dockerfile USER), and name resolution through the
# /etc/hosts and /etc/resolv.conf that the container runtime provides.
mkdir -p "$root/etc"
printf 'root:x:0:0:root:/root:/sbin/nologin\nllamachat:x:%d:%d:llamachat:/nonexistent:/sbin/nologin\n' \
  "$runtime_uid" "$runtime_uid" >"$root/etc/passwd"
printf 'root:x:0:\nllamachat:x:%d:\n' "$runtime_uid" >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
install -d -m 1777 "$root/tmp"
install -d -m 0555 "$root/proc"
