#!/usr/bin/env bash
# Installs what pvboot needs on a fresh Debian 12 machine, only what is missing:
# the toolchain (Debian's wabt pinned by the Makefile, gcc), the tools the tests use to make
# real images and data (e2fsprogs, xfsprogs, compressors), QEMU for the real-Xen tests, and npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have wasm2c || need+=(wabt)
have gcc || need+=(gcc)
have make || need+=(make)
have mke2fs || need+=(e2fsprogs)
have debugfs || need+=(e2fsprogs)
have mkfs.xfs || need+=(xfsprogs)
have xfs_db || need+=(xfsprogs)
have qemu-system-x86_64 || need+=(qemu-system-x86)
have xz || need+=(xz-utils)
have zstd || need+=(zstd)
have lz4 || need+=(lz4)
have bzip2 || need+=(bzip2)
have lzop || need+=(lzop)
have gzip || need+=(gzip)
have cpio || need+=(cpio)
have objcopy || need+=(binutils)
have readelf || need+=(binutils)
have openssl || need+=(openssl)
have node || need+=(nodejs)
have npm || need+=(npm)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
