#!/usr/bin/env bash
# Installs what pvboot needs on a fresh Debian 12 machine, only what is missing:
# the toolchain (Debian's wabt pinned by the Makefile, gcc, and gcc-multilib for the 32-bit
# libgcc pvboot-x86_32.elf links), the tools the tests use to make real images and data
# (e2fsprogs, xfsprogs, btrfs-progs, compressors, debootstrap and fdisk), QEMU for the real-Xen tests,
# lintian for make deb, the compression libraries' -dev packages the decompressor benchmark
# links against, and npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have wasm2c || need+=(wabt)
have gcc || need+=(gcc)
have make || need+=(make)
# gcc -m32 names a libgcc under .../32/ only when the multilib one is installed
have gcc && case "$(gcc -m32 -print-libgcc-file-name)" in */32/libgcc.a) [ -e "$(gcc -m32 -print-libgcc-file-name)" ] || need+=(gcc-multilib) ;; *) need+=(gcc-multilib) ;; esac
have mke2fs || need+=(e2fsprogs)
have debugfs || need+=(e2fsprogs)
have mkfs.btrfs || need+=(btrfs-progs)
have mkfs.xfs || need+=(xfsprogs)
have xfs_db || need+=(xfsprogs)
have qemu-system-x86_64 || need+=(qemu-system-x86)
have xz || need+=(xz-utils)
have zstd || need+=(zstd)
have lz4 || need+=(lz4)
have bzip2 || need+=(bzip2)
have lzop || need+=(lzop)
have gzip || need+=(gzip)
# The compressed images (the Makefile's GZ_COMMAND).
have zopfli || need+=(zopfli)
have cpio || need+=(cpio)
# The grub.cfg and BLS guests (scripts/images/grub-guests.sh): debootstrap, sfdisk, partx.
have debootstrap || need+=(debootstrap)
have sfdisk || need+=(fdisk)
have partx || need+=(util-linux)
have objcopy || need+=(binutils)
have readelf || need+=(binutils)
have openssl || need+=(openssl)
# make deb (scripts/deb/build.sh): dpkg-deb builds it, lintian checks it.
have dpkg-deb || need+=(dpkg)
have lintian || need+=(lintian)
# The decompressor benchmark's reference libraries (build/bench/decompress links them).
have_dev() { [ -e "/usr/include/$1" ]; }
have_dev zlib.h || need+=(zlib1g-dev)
have_dev lzma.h || need+=(liblzma-dev)
have_dev zstd.h || need+=(libzstd-dev)
have_dev lz4.h || need+=(liblz4-dev)
have_dev bzlib.h || need+=(libbz2-dev)
have_dev lzo/lzo1x.h || need+=(liblzo2-dev)
have node || need+=(nodejs)
have npm || need+=(npm)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  bash scripts/lib/apt-update.sh
  $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
