// dom0's /init (POSIX sh, dash in the Debian root). It brings up what xl needs without udev or
// systemd, mounts the run's disk (the first virtio disk, when there is one) on /guest, then runs
// /guest/run.sh, which the host side (guests.ts) writes there: a list of `guest NAME` calls,
// optional `keys NAME WAIT TEXT` calls, and `finish`.
//
// Everything dom0 itself says starts with "pvboot-host: "; everything a guest prints on its
// console is copied onto hvc0 (and so onto the serial line) as "[NAME] LINE".

// A quick stand-in for Debian's /etc/xen/scripts/block, for disks that are files: attach a
// loop device (direct I/O: the image's pages are not cached a second time in dom0's memory)
// and publish it for blkback. Debian's script (bash, sharing checks, locking)
// forks a great many processes, each slow under TCG. libxl runs it with add|remove and
// XENBUS_PATH; a guest uses it with script=block-quick in its disk spec.
export const BLOCK_QUICK = String.raw`#!/bin/sh
p=$XENBUS_PATH
case "$1" in
add)
  file=$(xenstore-read "$p/params")
  ro=""; [ "$(xenstore-read "$p/mode")" = r ] && ro=-r
  if ! loop=$(losetup $ro --direct-io=on -f --show "$file"); then
    xenstore-write "$p/hotplug-error" "losetup $file failed" "$p/hotplug-status" error
    exit 1
  fi
  xenstore-write "$p/node" "$loop" "$p/physical-device" "$(stat -L -c %t:%T "$loop")" \
    "$p/physical-device-path" "$loop" "$p/hotplug-status" connected
  ;;
remove)
  loop=$(xenstore-read "$p/node" 2>/dev/null) && losetup -d "$loop"
  xenstore-rm "$p/hotplug-status" 2>/dev/null
  ;;
esac
exit 0
`;

export const DOM0_INIT = String.raw`#!/bin/sh
export PATH=/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C
say() { echo "pvboot-host: $*"; }

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm /run /var/run/xen /var/log/xen/console /var/lib/xen /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs run /run
mkdir -p /run/xen /run/lock
# No udev: without these the block hotplug script loops forever and xl create times out.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
exec </dev/console >/dev/hvc0 2>&1

# Ends QEMU at once: isa-debug-exit at port 0xf4 (QEMU exits with (CODE << 1) | 1).
qemu_exit() {
  printf "\\$(printf %03o "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
  sleep 5
  echo o > /proc/sysrq-trigger
}
trap 'say "dom0 /init failed"; qemu_exit 3' EXIT

for m in xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-blkback loop virtio_pci virtio_blk; do
  modprobe $m || say "modprobe $m failed"
done
mount -t xenfs xenfs /proc/xen
# From here on the kernel's own messages would cut through the guests' lines: errors only.
dmesg -n 3

xenstored --pid-file=/run/xen/xenstored.pid
i=0
until xenstore-read -s / >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -gt 300 ] && { say "xenstored did not come up"; exit 1; }
  sleep 0.1
done
xen-init-dom0 >/dev/null || { say "xen-init-dom0 failed"; exit 1; }
xenconsoled --log=guest --log-dir=/var/log/xen/console --pid-file=/run/xen/xenconsoled.pid
say "xl ready ($(xl info 2>/dev/null | sed -n 's/^xen_version *: //p'))"

GUESTS=""
# guest NAME: xl create /guest/NAME.cfg and follow its console log onto hvc0 as "[NAME] ...".
guest() {
  log=/var/log/xen/console/guest-$1.log
  ( tail -n +1 -F -s 0.05 "$log" 2>/dev/null | sed -u "s/^/[$1] /" ) &
  GUESTS="$GUESTS $1"
  say "$1: xl create"
  if xl create -q /guest/$1.cfg >/tmp/xl-$1.out 2>&1; then
    say "$1: created, domid $(xl domid $1 2>/dev/null)"
  else
    sed "s/^/pvboot-host: $1: xl: /" /tmp/xl-$1.out
    say "$1: xl create failed"
  fi
}

# keys NAME WAIT TEXT: once the guest's console has printed WAIT (a fixed string), type
# TEXT (printf escapes: \r, \033, ...) into its console, as xl console would: through the
# pty xenconsoled publishes at /local/domain/ID/console/tty.
keys() {
  ( log=/var/log/xen/console/guest-$1.log; end=$(($(date +%s) + 120))
    until [ -f "$log" ] && grep -qF -- "$2" "$log"; do
      [ "$(date +%s)" -ge $end ] && { say "$1: keys: '$2' never showed up"; exit; }
      sleep 0.1
    done
    tty=$(xenstore-read /local/domain/$(xl domid $1)/console/tty)
    printf "$3" > "$tty" && say "$1: keys sent after '$2'" ) &
}

# Timeouts are in seconds of the clock, not in turns of a loop: under TCG a turn's
# "xl domid" takes far longer than its sleep, the more so while a guest spins.

# gone NAME TIMEOUT_S: wait until the guest has gone (one guest at a time); destroy it if it
# is still there after TIMEOUT_S.
gone() {
  end=$(($(date +%s) + $2))
  while xl domid "$1" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge $end ]; then
      say "$1: still running after $2 s: xl destroy"
      xl destroy "$1" >/dev/null 2>&1
      break
    fi
    sleep 0.1
  done
}

# finish [TIMEOUT_S]: wait until every guest has gone, say how each ended, end QEMU.
finish() {
  t=$1; [ -n "$t" ] || t=600
  end=$(($(date +%s) + t))
  while [ "$(xenstore-list /local/domain | grep -vx 0 | wc -l)" != 0 ]; do
    [ "$(date +%s)" -ge $end ] && { say "guests still running after $t s"; break; }
    sleep 0.1
  done
  sleep 0.3
  for g in $GUESTS; do
    how=$(sed -n 's/.*Domain [0-9]* has shut down, reason code \([0-9]*\).*/\1/p' /var/log/xen/xl-$g.log 2>/dev/null | tail -n 1)
    case "$how" in
      0) how=poweroff ;; 1) how=reboot ;; 2) how=suspend ;; 3) how=crash ;; 4) how=watchdog ;; 5) how=soft_reset ;;
      "") how=unknown ;;
    esac
    say "$g: ended: $how"
  done
  # XEN_DMESG=1 in run.sh: what xl and Xen said about each guest (a guest that dies silently).
  if [ -n "$XEN_DMESG" ]; then
    for g in $GUESTS; do
      sed "s/^/pvboot-host: $g: xl-log: /" /var/log/xen/xl-$g.log 2>/dev/null | tail -n 40
    done
    xl dmesg 2>/dev/null | tail -n "$XEN_DMESG" | sed "s/^/pvboot-host: xen: /"
  fi
  say "all guests done"
  trap - EXIT
  qemu_exit 0
}

# The run's files come on a disk, not in this root: with them in dom0's in-memory root,
# dom0's userland was seen corrupted (segfaults, ld.so asserting), above all while Linux
# guests ran side by side (README.md, Pitfalls).
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
if [ -b /dev/vda ]; then
  mount -t ext4 /dev/vda /guest || say "mounting the run's disk /dev/vda on /guest failed"
fi
if [ -f /guest/run.sh ]; then
  . /guest/run.sh
else
  say "no /guest/run.sh: nothing to run"
  finish 1
fi
`;
