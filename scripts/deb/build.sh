#!/usr/bin/env bash
# `make deb`: build/pvboot_VERSION_all.deb, as Xen hosts install bootloaders (grub-xen-host
# does the same for GRUB's Xen images). Built with dpkg-deb from a staged tree, no debhelper:
#   /usr/lib/pvboot/pvboot-ARCH.elf.gz           every compressed image `make` built
#   /usr/share/doc/pvboot/examples/*.cfg          xl.cfg examples (scripts/deb/examples/)
#   /usr/share/doc/pvboot/{copyright,changelog.gz}
#   /usr/share/man/man1/pvboot.1.gz               docs/pvboot.1, the CLI's man page
# VERSION is package.json's. The package is "all": the images are Xen guest kernels, not
# programs of the host, and the same files serve any dom0 architecture. Then lintian runs on
# it when installed (errors and warnings fail the build); scripts/deb/lintian-overrides says why
# each override is there.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=$(node -p 'require("./package.json").version')
# Whoever builds it: PVBOOT_DEB_MAINTAINER, else git's configured name and address.
MAINTAINER=${PVBOOT_DEB_MAINTAINER:-"$(git config user.name) <$(git config user.email)>"}
OUT=build/pvboot_${VERSION}_all.deb
STAGE=build/deb/pvboot
rm -rf build/deb
mkdir -p "$STAGE/DEBIAN" "$STAGE/usr/lib/pvboot" "$STAGE/usr/share/doc/pvboot/examples" \
  "$STAGE/usr/share/man/man1" "$STAGE/usr/share/lintian/overrides"

images=(build/pvboot-*.elf.gz)
[ -e "${images[0]}" ] || { echo "deb: no build/pvboot-*.elf.gz: run make first" >&2; exit 1; }
for i in "${images[@]}"; do install -m 0644 "$i" "$STAGE/usr/lib/pvboot/"; done
install -m 0644 scripts/deb/examples/*.cfg "$STAGE/usr/share/doc/pvboot/examples/"
gzip -9n -c docs/pvboot.1 > "$STAGE/usr/share/man/man1/pvboot.1.gz"
install -m 0644 scripts/deb/copyright "$STAGE/usr/share/doc/pvboot/copyright"
install -m 0644 scripts/deb/lintian-overrides "$STAGE/usr/share/lintian/overrides/pvboot"

# A native package's changelog, in Debian's format, dated by the last commit (reproducible).
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
printf 'pvboot (%s) unstable; urgency=medium\n\n  * Built from the pvboot tree at %s.\n\n -- %s  %s\n' \
  "$VERSION" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$MAINTAINER" "$date" |
  gzip -9n > "$STAGE/usr/share/doc/pvboot/changelog.gz"
chmod 0644 "$STAGE/usr/share/doc/pvboot/changelog.gz" "$STAGE/usr/share/man/man1/pvboot.1.gz"

size=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<EOF
Package: pvboot
Version: $VERSION
Architecture: all
Maintainer: $MAINTAINER
Installed-Size: $size
Section: admin
Priority: optional
Description: bootloader for Xen PV guests, run inside the guest
 pvboot is a PV-GRUB-like bootloader for Xen paravirtualised guests. A
 domain whose xl configuration names /usr/lib/pvboot/pvboot-x86_64.elf.gz
 as its kernel starts pvboot inside the guest: it reads the guest's own
 disk through blkfront, finds its grub.cfg, Boot Loader Specification
 entries or menu.lst, shows a menu on the PV console and boots the kernel
 it names. Nothing of the guest's disk is parsed in dom0.
 .
 This package holds the compressed images for 64-bit and 32-bit (PAE) PV
 guests and xl.cfg examples. The pvboot command, which checks and explores
 guest disks on the host, comes with the npm package of the same name.
EOF
(cd "$STAGE" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$STAGE/DEBIAN/md5sums"
find "$STAGE" -type d -exec chmod 0755 {} +
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$OUT" >/dev/null
echo "$OUT: $(stat -c %s "$OUT") bytes"
if command -v lintian >/dev/null; then
  # --info shows the informational tags as well; only errors and warnings fail the build.
  lintian --info --fail-on error,warning "$OUT" 2> >(grep -v "running with root privileges" >&2)
else
  echo "deb: lintian is not installed (scripts/setup.sh installs it): not checked"
fi
