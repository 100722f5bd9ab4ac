#!/bin/bash
# Guest disks whose boot configuration the distribution's own tools wrote (issue 18, part 6):
# a Debian 12 root (debootstrap, with grub2-common, grub-pc-bin and systemd) copied into a
# loop-mounted image, Debian's real kernel placed in /boot under two versions, then inside a
# chroot (the loop device and /dev, /proc, /sys bound, so grub-probe sees the real block
# device) `grub-mkconfig`, `grub-editenv`, `grub-reboot` and systemd's `kernel-install`.
# Needs root. Everything goes to build/cache/grub-guests/ (never committed):
#   base-root/        the debootstrapped root, made once
#   NAME.img          one disk per variant below; NAME.img.ok marks it complete
#
#   bash scripts/images/grub-guests.sh KERNEL [NAME...]   (KERNEL: a Debian vmlinuz)
#   INITRD=FILE bash scripts/images/grub-guests.sh KERNEL xen xenbls
#
# Variants (each a different /etc/default/grub or layout):
#   sub       MBR, one ext4 root, submenus (Debian's default), GRUB_DEFAULT=0, timeout 5
#   flat      GRUB_DISABLE_SUBMENU=y, GRUB_DEFAULT=saved, grub-set-default to the second
#             kernel, an early initrd (GRUB_EARLY_INITRD_LINUX_CUSTOM): two initrds per entry
#   path      GRUB_DEFAULT="1>2" (the submenu's third entry), GRUB_TIMEOUT_STYLE=hidden
#   gptboot   GPT, a separate ext2 /boot, GRUB_DEFAULT=saved and grub-reboot "1>1" (next_entry)
#   bls       a separate /boot; kernel-install (layout=bls) writes /loader/entries there;
#             no grub.cfg
#   xen       for real Xen (test/xen/grubcfg.test.ts): like sub, with $INITRD (a busybox
#             initramfs) as every kernel's initrd, GRUB_TIMEOUT=1; the root's /usr and /var are
#             emptied after grub-mkconfig ran (the guest stops in its initramfs) to keep the
#             disk small for the Xen test host
#   xenbls    the same with kernel-install's BLS entries on a separate /boot, no grub.cfg, a
#             loader.conf with a timeout of 1 s (without one the menu waits for a key)
#   fedora    a separate /boot with Fedora-format entries (as Fedora's kernel-install plugin
#             writes them: options $kernelopts, grub_users, grub_arg, grub_class), kernelopts
#             and saved_entry in grub2/grubenv (grub-editenv), and Fedora's grub.cfg form that
#             calls blscfg
set -euo pipefail

KERNEL=$(readlink -f "$1"); shift
HERE=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$HERE/build/cache/grub-guests"
CACHE=$(readlink -f "$HERE/build/cache/grub-guests")
BASE="$CACHE/base-root"
# Bump when what a variant contains changes: stale images are remade.
KEY="v5 $(basename "$KERNEL")"

# The Debian mirror from the machine's apt configuration.
mirror() {
  local m
  m=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
  [ -n "$m" ] || m=$(awk '$1=="deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [ -n "$m" ] || { echo "grub-guests: no Debian mirror in the apt configuration" >&2; exit 1; }
  echo "$m"
}

if [ ! -d "$BASE" ]; then
  command -v debootstrap >/dev/null || apt-get install -y debootstrap >/dev/null
  rm -rf "$BASE.tmp"
  debootstrap --variant=minbase --include=grub2-common,grub-pc-bin,systemd bookworm "$BASE.tmp" "$(mirror)" >"$CACHE/debootstrap.log" 2>&1
  mv "$BASE.tmp" "$BASE"
fi

VER=$(basename "$KERNEL" | sed 's/^vmlinuz-//')   # 6.1.0-NN-amd64
OLD=$(echo "$VER" | sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+)-([0-9]+)-/\1-1-/') # an older version, same file
[ "$OLD" != "$VER" ] || OLD="6.1.0-1-amd64"

LOOP=""; MNT=""
cleanup() {
  set +e
  if [ -n "$MNT" ]; then
    for m in "${CACHE#/}" dev/pts dev proc sys boot ""; do mountpoint -q "$MNT/$m" && umount "$MNT/$m"; done
    rmdir "$MNT" 2>/dev/null
  fi
  for l in $LOOP; do losetup -d "$l"; done
  LOOP=""; MNT=""
}
trap cleanup EXIT

# A small initramfs (a newc cpio holding one file), so that entries load something real.
initrd() { # OUT LABEL
  local d; d=$(mktemp -d)
  echo "$2" > "$d/pvboot-initrd"
  (cd "$d" && echo pvboot-initrd | cpio -o -H newc --quiet) | gzip -n > "$1"
  rm -rf "$d"
}

# disk NAME SCHEME(mbr|gpt) SEPARATE_BOOT(0|1): the image, partitioned, formatted, mounted
# at $MNT with the base root copied in and the kernels in /boot.
disk() {
  local img="$CACHE/$1.img"
  rm -f "$img" "$img.ok"
  truncate -s 1G "$img"
  if [ "$2" = gpt ]; then
    if [ "$3" = 1 ]; then printf 'label: gpt\n,128M,L\n,,L\n' | sfdisk -q "$img"
    else printf 'label: gpt\n,,L\n' | sfdisk -q "$img"; fi
  else
    if [ "$3" = 1 ]; then printf 'label: dos\n,128M,L\n,,L\n' | sfdisk -q "$img"
    else printf 'label: dos\n,,L\n' | sfdisk -q "$img"; fi
  fi
  # One loop device per partition, at its offset: this machine's kernel does not scan
  # partition tables on loop devices (losetup -P gives no loopNp1), so grub-probe sees each
  # partition as a disk of its own. The search lines grub-mkconfig writes go by UUID anyway.
  # Numbers from 16 up: Debian's 10_linux makes no entries for a root on /dev/loop[0-9] (its
  # guard against loop-AES roots), and these loops stand for a guest's real disk.
  LOOPS=()
  while read -r start sectors; do
    local n=16
    while [ -e "/sys/block/loop$n/loop" ] || losetup "/dev/loop$n" >/dev/null 2>&1; do n=$((n + 1)); done
    [ -b "/dev/loop$n" ] || mknod "/dev/loop$n" b 7 "$n"
    losetup -o $((start * 512)) --sizelimit $((sectors * 512)) "/dev/loop$n" "$img"
    LOOPS+=("/dev/loop$n")
  done < <(partx -g -o START,SECTORS "$img")
  LOOP="${LOOPS[*]}"
  MNT=$(mktemp -d)
  if [ "$3" = 1 ]; then
    mkfs.ext2 -q -L boot "${LOOPS[0]}"
    mkfs.ext4 -q -L root "${LOOPS[1]}"
    mount "${LOOPS[1]}" "$MNT"
    mkdir -p "$MNT/boot"
    mount "${LOOPS[0]}" "$MNT/boot"
  else
    mkfs.ext4 -q -L root "${LOOPS[0]}"
    mount "${LOOPS[0]}" "$MNT"
  fi
  tar -C "$BASE" --exclude=./boot -cf - . | tar -C "$MNT" -xf -
  mkdir -p "$MNT/boot"
  for v in "$VER" "$OLD"; do
    cp "$KERNEL" "$MNT/boot/vmlinuz-$v"
    if [ "${1#xen}" != "$1" ]; then cp "$INITRD" "$MNT/boot/initrd.img-$v"
    else initrd "$MNT/boot/initrd.img-$v" "initrd of $v"; fi
  done
  mount --bind /dev "$MNT/dev"; mount --bind /dev/pts "$MNT/dev/pts"
  mount -t proc proc "$MNT/proc"; mount -t sysfs sys "$MNT/sys"
  # grub-probe follows a loop device to its backing file: the image must be seen in there.
  mkdir -p "$MNT$CACHE"; mount --bind "$CACHE" "$MNT$CACHE"
  # blkid -p: the superblock itself, not blkid's cache, which trusts an entry probed under 2 s
  # ago, and the loop devices are reused from one variant to the next within that.
  local rootdev="${LOOPS[0]}"; [ "$3" = 1 ] && rootdev="${LOOPS[1]}"
  echo "UUID=$(blkid -p -s UUID -o value "$rootdev") / ext4 errors=remount-ro 0 1" > "$MNT/etc/fstab"
  [ "$3" = 1 ] && echo "UUID=$(blkid -p -s UUID -o value "${LOOPS[0]}") /boot ext2 defaults 0 2" >> "$MNT/etc/fstab"
  echo "$1" > "$MNT/etc/hostname"
  mkdir -p "$MNT/boot/grub"
  return 0
}

defaults() { # the lines of /etc/default/grub after Debian's own first ones
  {
    echo 'GRUB_DEFAULT=0'
    echo 'GRUB_TIMEOUT=5'
    echo 'GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`'
    echo 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"'
    echo 'GRUB_CMDLINE_LINUX="console=hvc0"'
    # A PV guest's console: also what keeps grub-mkconfig from probing for gfxterm's font
    # (which fails on a loop device with an offset).
    echo 'GRUB_TERMINAL=console'
    cat
  } > "$MNT/etc/default/grub"
}

in_chroot() { chroot "$MNT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C "$@"; }

mkconfig() { in_chroot grub-mkconfig -o /boot/grub/grub.cfg 2>"$CACHE/$1.mkconfig.log"; }

finish() { # NAME
  sync
  cleanup
  echo "$key" > "$CACHE/$1.img.ok"
}

variant() {
  case "$1" in
    sub)
      disk sub mbr 0
      defaults </dev/null
      mkconfig sub ;;
    flat)
      disk flat mbr 0
      initrd "$MNT/boot/ucode.img" "early microcode"
      defaults <<EOF
GRUB_DISABLE_SUBMENU=y
GRUB_DEFAULT=saved
GRUB_EARLY_INITRD_LINUX_CUSTOM="ucode.img"
EOF
      sed -i 's/^GRUB_DEFAULT=0$//' "$MNT/etc/default/grub"
      mkconfig flat
      in_chroot grub-set-default "Debian GNU/Linux, with Linux $OLD" ;;
    path)
      disk path mbr 0
      defaults <<EOF
GRUB_TIMEOUT_STYLE=hidden
EOF
      sed -i 's/^GRUB_DEFAULT=0$/GRUB_DEFAULT="1>2"/; s/^GRUB_TIMEOUT=5$/GRUB_TIMEOUT=2/' "$MNT/etc/default/grub"
      mkconfig path ;;
    gptboot)
      disk gptboot gpt 1
      defaults </dev/null
      sed -i 's/^GRUB_DEFAULT=0$/GRUB_DEFAULT=saved/' "$MNT/etc/default/grub"
      mkconfig gptboot
      in_chroot grub-set-default 0
      in_chroot grub-reboot "1>1" ;;
    bls)
      disk bls mbr 1
      rm -rf "$MNT/boot/grub"
      mkdir -p "$MNT/etc/kernel" "$MNT/boot/loader/entries"
      echo "layout=bls" > "$MNT/etc/kernel/install.conf"
      echo "root=LABEL=root ro console=hvc0" > "$MNT/etc/kernel/cmdline"
      echo "0123456789abcdef0123456789abcdef" > "$MNT/etc/machine-id"
      for v in "$OLD" "$VER"; do
        in_chroot kernel-install add "$v" "/boot/vmlinuz-$v" "/boot/initrd.img-$v" 2>"$CACHE/bls.kernel-install.log"
      done
      printf 'timeout 4\ndefault 0123456789abcdef0123456789abcdef-%s*\n' "$OLD" > "$MNT/boot/loader/loader.conf" ;;
    fedora)
      disk fedora mbr 1
      rm -rf "$MNT/boot/grub"
      mkdir -p "$MNT/boot/loader/entries" "$MNT/boot/grub2"
      local mid=fedcba9876543210fedcba9876543210
      for v in "$OLD" "$VER"; do
        # Fedora's kernel-install plugin (20-grub.install) writes entries of this form.
        cat > "$MNT/boot/loader/entries/$mid-$v.conf" <<EOF
title Fedora Linux ($v) 39 (Thirty Nine)
version $v
linux /vmlinuz-$v
initrd /initrd.img-$v
options \$kernelopts
grub_users \$grub_users
grub_arg --unrestricted
grub_class fedora
EOF
      done
      in_chroot grub-editenv /boot/grub2/grubenv set "kernelopts=root=LABEL=root ro console=hvc0 rhgb quiet"
      in_chroot grub-editenv /boot/grub2/grubenv set "saved_entry=$mid-$OLD"
      local bootuuid; bootuuid=$(blkid -p -s UUID -o value "${LOOPS[0]}")
      # Fedora 39's grub.cfg (grub2-mkconfig with GRUB_ENABLE_BLSCFG=true), its parts that
      # matter here: grubenv, the saved default, the search for /boot and blscfg.
      cat > "$MNT/boot/grub2/grub.cfg" <<EOF
set pager=1
if [ -f \${config_directory}/grubenv ]; then
  load_env -f \${config_directory}/grubenv
elif [ -s \$prefix/grubenv ]; then
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="\${saved_entry}"
fi
function load_video {
  insmod all_video
}
terminal_output console
if [ x\$feature_timeout_style = xy ] ; then
  set timeout_style=menu
  set timeout=5
else
  set timeout=5
fi
set boot='hd0,msdos1'
search --no-floppy --fs-uuid --set=boot $bootuuid
set root=\$boot
insmod blscfg
blscfg
EOF
      ;;
    xen)
      disk xen mbr 0
      defaults </dev/null
      sed -i 's/^GRUB_TIMEOUT=5$/GRUB_TIMEOUT=1/' "$MNT/etc/default/grub"
      mkconfig xen
      rm -rf "$MNT/usr/"* "$MNT/var/"*
      fstrim "$MNT" || true ;;
    xenbls)
      disk xenbls mbr 1
      rm -rf "$MNT/boot/grub"
      mkdir -p "$MNT/etc/kernel" "$MNT/boot/loader/entries"
      echo "layout=bls" > "$MNT/etc/kernel/install.conf"
      echo "console=hvc0 quiet bls=1" > "$MNT/etc/kernel/cmdline"
      echo "0123456789abcdef0123456789abcdef" > "$MNT/etc/machine-id"
      for v in "$OLD" "$VER"; do
        in_chroot kernel-install add "$v" "/boot/vmlinuz-$v" "/boot/initrd.img-$v" 2>"$CACHE/xenbls.kernel-install.log"
      done
      printf 'timeout 1\n' > "$MNT/boot/loader/loader.conf"
      rm -f "$MNT/boot/vmlinuz-"* "$MNT/boot/initrd.img-"*
      rm -rf "$MNT/usr/"* "$MNT/var/"*
      fstrim "$MNT" || true ;;
    *) echo "grub-guests: unknown variant $1" >&2; exit 2 ;;
  esac
  finish "$1"
}

[ $# -gt 0 ] || set -- sub flat path gptboot bls fedora
key="$KEY"
for v in "$@"; do
  key="$KEY"; [ "${v#xen}" != "$v" ] && key="$KEY $(sha256sum < "${INITRD:?xen variants need INITRD}" | cut -c1-16)"
  if [ -f "$CACHE/$v.img.ok" ] && [ "$(cat "$CACHE/$v.img.ok")" = "$key" ]; then continue; fi
  variant "$v"
done
for v in "$@"; do echo "$CACHE/$v.img"; done
