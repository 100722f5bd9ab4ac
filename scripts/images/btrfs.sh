#!/usr/bin/env bash
# Makes one btrfs test image with Debian's btrfs-progs and the kernel's btrfs driver, and
# the manifest of what that driver reads from it (btrfs-manifest.mjs over a read-only loop
# mount of the default subvolume). Needs root (loop mounts) for every image.
#
#   scripts/images/btrfs.sh NAME OUT.img      -> OUT.img, OUT.img.json (multidev: OUT.img.2 too)
#
# NAME: n4k-single, n16k-dup, n64k-dup, csum-xxhash, csum-sha256, csum-blake2, zlib, lzo,
# zstd, property-zstd, subvol-suse, mini, mini-zstd, mini-subvol, multidev.
# mkfs.btrfs --rootdir fills the plain images; compression, subvolumes, holes made by the
# kernel and preallocated extents come from writing through a loop mount.
set -euo pipefail
name=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${out}.work.XXXXXX")
mnt=$work/mnt
mkdir -p "$mnt"
cleanup() {
  mountpoint -q "$mnt" && umount "$mnt"
  rm -rf "$work"
}
trap cleanup EXIT

tree=$work/tree
kind=full
case $name in mini*) kind=mini ;; esac
node "$here/btrfs-tree.mjs" "$tree" $([ $kind = mini ] && echo mini)
size=256M
[ $kind = mini ] && size=128M   # mkfs.btrfs's smallest with DUP metadata is ~110 MiB
# The mini images (fuzz seeds) have 4 KiB nodes and single metadata: each node once and small,
# so that the sparse input stays small (scripts/fuzz/seeds.ts).
nodes="-n 16384"
[ $kind = mini ] && nodes="-n 4096 -m single"

img=$work/img
truncate -s "$size" "$img"
mkfs() { mkfs.btrfs -q -f -L "pvboot-$name" "$@" "$img" >/dev/null; }

# Fill a mounted filesystem through the kernel: the tree (holes kept), a preallocated file.
fill_mounted() {
  local to=$1
  cp -a --sparse=always "$tree/." "$to/"
  mkdir -p "$to/prealloc"
  fallocate -l 1M "$to/prealloc/unwritten"
  printf 'head' > "$to/prealloc/partly"
  fallocate -o 4096 -l 65536 "$to/prealloc/partly"
  printf 'tail' | dd of="$to/prealloc/partly" bs=1 seek=20000 conv=notrunc status=none
}

case $name in
  n4k-single) mkfs -n 4096 -s 4096 -m single -d single -r "$tree" ;;
  n16k-dup) mkfs -n 16384 -s 4096 -m dup -d single -r "$tree" ;;
  mini) mkfs $nodes -s 4096 -d single -r "$tree" ;;
  n64k-dup) mkfs -n 65536 -s 4096 -m dup -r "$tree" ;;
  csum-xxhash) mkfs --csum xxhash -r "$tree" ;;
  csum-sha256) mkfs --csum sha256 -r "$tree" ;;
  csum-blake2) mkfs --csum blake2 -r "$tree" ;;
  zlib|lzo|zstd|mini-zstd)
    alg=${name#mini-}
    mkfs $nodes
    mount -o loop,compress-force="$alg" "$img" "$mnt"
    fill_mounted "$mnt"
    umount "$mnt" ;;
  property-zstd)
    mkfs
    mount -o loop "$img" "$mnt"
    mkdir "$mnt/boot"
    btrfs property set "$mnt/boot" compression zstd
    cp -a "$tree/boot/." "$mnt/boot/"
    cp -a "$tree/small" "$mnt/"
    umount "$mnt" ;;
  subvol-suse|mini-subvol)
    # openSUSE's layout: subvolume @ at the top, @/.snapshots a subvolume, snapshot 1 of @
    # as the default; a nested subvolume @/home (empty inside the snapshot).
    if [ $kind = mini ]; then mkfs $nodes; else mkfs; fi
    mount -o loop "$img" "$mnt"
    btrfs -q subvolume create "$mnt/@"
    btrfs -q subvolume create "$mnt/@/.snapshots"
    btrfs -q subvolume create "$mnt/@/home"
    echo "home file" > "$mnt/@/home/user.txt"
    mkdir "$mnt/@/.snapshots/1"
    fill_mounted "$mnt/@"
    echo "in @ before the snapshot" > "$mnt/@/boot/marker"
    btrfs -q subvolume snapshot "$mnt/@" "$mnt/@/.snapshots/1/snapshot"
    echo "in @ after the snapshot" > "$mnt/@/boot/marker"
    echo "top level" > "$mnt/toplevel.txt"
    id=$(btrfs inspect-internal rootid "$mnt/@/.snapshots/1/snapshot")
    btrfs subvolume set-default "$id" "$mnt"
    umount "$mnt" ;;
  multidev)
    truncate -s 256M "$img.2"
    mkfs.btrfs -q -f -L "pvboot-$name" -d raid1 -m raid1 "$img" "$img.2" >/dev/null ;;
  *) echo "btrfs.sh: unknown image $name" >&2; exit 2 ;;
esac

if [ "$name" = multidev ]; then
  echo '{}' > "$work/manifest.json"
else
  mount -o loop,ro "$img" "$mnt"
  node "$here/btrfs-manifest.mjs" "$mnt" > "$work/manifest.json"
  umount "$mnt"
fi
btrfs check --readonly "$img" >/dev/null 2>&1 || { [ "$name" = multidev ] || { echo "btrfs.sh: btrfs check failed on $name" >&2; exit 1; }; }
mv "$work/manifest.json" "$out.json"
[ "$name" = multidev ] && mv "$img.2" "$out.2"
mv "$img" "$out"
