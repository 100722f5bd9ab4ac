#!/usr/bin/env bash
# The disks of test/xen/fs.test.ts: Debian's kernel booted by pvboot from XFS and from btrfs.
# Needs root (loop mounts: the kernel's own XFS and btrfs drivers write the files).
#
#   scripts/images/fs-guests.sh BZIMAGE VMLINUX INITRD OUTDIR
#
# OUTDIR/xfs.img    an MBR disk whose partition 1 (from 1 MiB) is an XFS /boot partition, as
#                   RHEL lays it out: /vmlinuz (the bzImage), /initrd.img, /grub/menu.lst.
# OUTDIR/btrfs.img  an MBR disk whose partition 1 is a btrfs root: subvolumes @home (id 256)
#                   and @ (id 257), @ made the default with `btrfs subvolume set-default`, and
#                   in it /boot/vmlinux (the uncompressed ELF kernel: the bzImage's XZ payload
#                   would not shrink, so btrfs would store it uncompressed), /boot/initrd.img and
#                   /boot/grub/menu.lst, all written under mount -o compress-force=zstd. The top
#                   level has a /boot/grub/menu.lst too, naming a kernel that is not there: a
#                   reader that ignores the default subvolume fails to boot.
# OUTDIR/btrfs.vmlinux.ino        the kernel's inode number in @,
# OUTDIR/btrfs.dump-tree.txt      `btrfs inspect-internal dump-tree -t 257` of the partition:
#                                 the test reads the kernel's EXTENT_DATA items from it to
#                                 check that they really are zstd.
set -euo pipefail
bz=$1 vmlinux=$2 initrd=$3 out=$4
mkdir -p "$out"
work=$(mktemp -d "$out/work.XXXXXX")
mnt=$work/mnt
mkdir -p "$mnt"
cleanup() {
  mountpoint -q "$mnt" && umount "$mnt"
  rm -rf "$work"
}
trap cleanup EXIT

# disk OUT SIZE_MIB PART_IMAGE: an MBR with one Linux partition from 1 MiB holding PART_IMAGE.
disk() {
  local img=$1 mib=$2 part=$3
  truncate -s "${mib}M" "$img"
  echo "start=2048, type=83" | sfdisk -q "$img" >/dev/null
  dd if="$part" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none
}

# XFS: mkfs.xfs 5.19+ wants 300 MB unless it believes it runs under fstests (test/xfs/images.ts).
part=$work/xfs.part
truncate -s 64M "$part"
TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1 mkfs.xfs -q -f -L pvboot-boot "$part"
mount -o loop "$part" "$mnt"
mkdir "$mnt/grub"
cp "$bz" "$mnt/vmlinuz"
cp "$initrd" "$mnt/initrd.img"
cat > "$mnt/grub/menu.lst" <<'EOF'
default 0
timeout 1
title Debian GNU/Linux (XFS /boot)
root (hd0,0)
kernel /vmlinuz console=hvc0 quiet from=xfs-boot
initrd /initrd.img
EOF
umount "$mnt"
disk "$work/xfs.img" 66 "$part"

# btrfs: 160 MiB holds the compressed kernel with mkfs.btrfs's default DUP metadata.
part=$work/btrfs.part
truncate -s 160M "$part"
mkfs.btrfs -q -f -L pvboot-root "$part" >/dev/null
mount -o loop,compress-force=zstd "$part" "$mnt"
btrfs -q subvolume create "$mnt/@home"
btrfs -q subvolume create "$mnt/@"
mkdir -p "$mnt/@/boot/grub" "$mnt/boot/grub"
cp "$vmlinux" "$mnt/@/boot/vmlinux"
cp "$initrd" "$mnt/@/boot/initrd.img"
cat > "$mnt/@/boot/grub/menu.lst" <<'EOF'
default 0
timeout 1
title Debian GNU/Linux (btrfs, default subvolume @)
root (hd0,0)
kernel /boot/vmlinux console=hvc0 quiet from=btrfs-default-subvol
initrd /boot/initrd.img
EOF
cat > "$mnt/boot/grub/menu.lst" <<'EOF'
default 0
timeout 1
title Top level (must not be read: the default subvolume is @)
root (hd0,0)
kernel /boot/vmlinux-top-level console=hvc0 quiet from=top-level
EOF
id=$(btrfs inspect-internal rootid "$mnt/@")
[ "$id" = 257 ] || { echo "fs-guests.sh: @ has id $id, want 257" >&2; exit 1; }
btrfs subvolume set-default "$id" "$mnt" >/dev/null
stat -c %i "$mnt/@/boot/vmlinux" > "$work/btrfs.vmlinux.ino"
umount "$mnt"
btrfs check --readonly "$part" >/dev/null 2>&1 || { echo "fs-guests.sh: btrfs check failed" >&2; exit 1; }
btrfs inspect-internal dump-tree -t 257 "$part" > "$work/btrfs.dump-tree.txt"
disk "$work/btrfs.img" 162 "$part"

mv "$work/btrfs.vmlinux.ino" "$work/btrfs.dump-tree.txt" "$work/xfs.img" "$work/btrfs.img" "$out/"
