#!/usr/bin/env bash
# `make demo`: a sample disk (MBR, one ext4 partition holding Debian 12's kernel, a small
# initrd and /boot/grub/menu.lst), booted by pvboot in the emulated Xen with its console on
# this terminal: the menu counts down from 5 (any key stops it; arrows, Enter, 'e', 'c'), then
# boots the default entry (`pvboot check build/demo/disk.img` says it will, and in how much
# memory). Debian's kernel is fetched once from the mirror and cached
# (scripts/kernels/fetch.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/demo
rm -rf "$out/root" "$out/initrd"
mkdir -p "$out/root/boot/grub" "$out/initrd"
kernel=$(npx tsx scripts/kernels/fetch.ts debian)
cp "$kernel" "$out/root/boot/$(basename "$kernel")"
echo "pvboot demo initrd" > "$out/initrd/hello"
(cd "$out/initrd" && find . | cpio -o -H newc --quiet | gzip -9) > "$out/root/boot/initrd.img"
cat > "$out/root/boot/grub/menu.lst" <<MENU
default 0
timeout 5
fallback 1

title Debian GNU/Linux, kernel $(basename "$kernel" | sed 's/^vmlinuz-//')
root (hd0,0)
kernel /boot/$(basename "$kernel") root=/dev/xvda1 ro console=hvc0
initrd /boot/initrd.img

title A missing kernel (shows the error, then the fallback)
root (hd0,0)
kernel /boot/vmlinuz-missing ro
MENU
npx tsx scripts/images/make-disk.ts "$out/disk.img" 32 "ext4:24:$out/root"
# DEMO_DISK_ONLY=1: make the disk and stop (test/check.test.ts checks it with pvboot check).
if [ -n "${DEMO_DISK_ONLY:-}" ]; then echo "$out/disk.img"; exit 0; fi
echo "demo: $out/disk.img (32 MiB, ext4 at (hd0,0)); booting it with pvboot in the emulator"
echo
exec node scripts/pvboot.mjs run "$out/disk.img" --extra "(hd0,0)/boot/grub/menu.lst"
