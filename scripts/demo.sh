#!/usr/bin/env bash
# `make demo`: a small sample disk (MBR, one ext4 partition with /boot/grub/menu.lst), booted
# by pvboot in the emulated Xen with its console on this terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/demo
rm -rf "$out/root"
mkdir -p "$out/root/boot/grub"
cat > "$out/root/boot/grub/menu.lst" <<'MENU'
default 0
timeout 5

title Debian GNU/Linux (sample)
root (hd0,0)
kernel /boot/vmlinuz root=/dev/xvda1 ro console=hvc0
initrd /boot/initrd.img
MENU
npx tsx scripts/images/make-disk.ts "$out/disk.img" 32 "ext4:24:$out/root"
echo "demo: $out/disk.img (32 MiB, ext4 at (hd0,0)); booting it with pvboot in the emulator"
echo
exec node scripts/pvboot.mjs run "$out/disk.img" --extra "(hd0,0)/boot/grub/menu.lst"
